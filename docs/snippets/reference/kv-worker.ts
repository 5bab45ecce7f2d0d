import { withCaracal } from 'caracal-fetch'
import { KvRevocationStore } from 'caracal-fetch/cloudflare-kv'

const handler = () => new Response('ok') // your Fetch handler

export default {
  fetch: withCaracal(handler, {
    revocations: (env) => new KvRevocationStore(env.REVOCATIONS),
  }),
}
