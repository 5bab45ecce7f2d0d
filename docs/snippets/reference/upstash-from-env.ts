import { withCaracal } from 'caracal-fetch'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'

const handler = () => new Response('ok') // your Fetch handler

// Node, Bun, Deno: process.env / Deno.env, once at module scope
export const revocations = UpstashRevocationStore.fromEnv()

// Cloudflare Workers: the variables arrive in `env` with each request; build the store once
let store: UpstashRevocationStore | undefined
export default {
  fetch: withCaracal(handler, {
    audience: 'resource://billing-api',
    revocations: (env) => (store ??= UpstashRevocationStore.fromEnv(env)),
  }),
}
