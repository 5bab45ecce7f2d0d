/**
 * edge-examples/hono as a Cloudflare Worker under `wrangler dev` (real workerd), started with
 * `npm run example:hono-worker` through the shared smoke harness: CARACAL_* and the Upstash REST
 * shim's UPSTASH_REDIS_REST_URL/TOKEN reach the Worker as vars (--var), and a revocation written to
 * the shared Redis (as Caracal's consumer writes it) is read by the Worker through
 * `UpstashRevocationStore.fromEnv(env)` and the real `@upstash/redis` client inside workerd.
 */
import { expect } from 'vitest'
import { smokeSuite } from './harness.js'
import { honoChecks } from './hono-checks.js'

smokeSuite({
  name: 'hono-worker',
  readyTimeoutMs: 120_000,
  checks: [
    ...honoChecks,
    {
      name: 'the vars reach the Worker: a mandate for another audience gets 401 invalid_token',
      async run(get, infra) {
        const res = await get('/', await infra.dev.mint({ aud: ['resource://somebody-else'] }))
        expect(res.status).toBe(401)
        expect(await res.json()).toMatchObject({ error: 'invalid_token' })
      },
    },
  ],
})
