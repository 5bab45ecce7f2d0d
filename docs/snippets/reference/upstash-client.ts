import { Redis } from '@upstash/redis'
import { withCaracal } from 'caracal-fetch'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'

const handler = () => new Response('ok') // your Fetch handler

const redis = new Redis({
  url: process.env.UPSTASH_REDIS_REST_URL,
  token: process.env.UPSTASH_REDIS_REST_TOKEN,
  retry: { retries: 0 }, // one attempt: a retried write could land twice, a retried read only delays the answer
  enableAutoPipelining: false, // would batch our lookup with unrelated commands
})
const revocations = new UpstashRevocationStore(redis, { timeoutMs: 500 })

export default { fetch: withCaracal(handler, { audience: 'resource://billing-api', revocations }) }
