// The same Hono app as a Cloudflare Worker: `npm run example:hono-worker` from the repository root
// (`wrangler dev`, the vars passed from its environment), `wrangler deploy` in this folder.
// CARACAL_* come from the Worker's vars; UPSTASH_REDIS_REST_URL/TOKEN from vars or secrets.
import { MemoryRevocationStore, type RevocationStore } from 'caracal-fetch'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'
import { createApp } from './app.ts'

interface Env {
  UPSTASH_REDIS_REST_URL?: string
  UPSTASH_REDIS_REST_TOKEN?: string
}

// Built on the first request (the env arrives with it) and kept for the isolate's lifetime. Without
// Upstash, revocations live in this isolate only; Workers run many isolates, so use Upstash (or
// caracal-fetch/cloudflare-kv) in production.
let revocations: RevocationStore | undefined

export default createApp(
  (env: Env) =>
    (revocations ??= env.UPSTASH_REDIS_REST_URL ? UpstashRevocationStore.fromEnv(env) : new MemoryRevocationStore()),
)
