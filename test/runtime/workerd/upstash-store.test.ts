/**
 * UpstashRevocationStore on Workers, with the real @upstash/redis client over real HTTP to the REST
 * shim in front of redis-server (upstash-setup.ts). Lookup coalescing is on by default elsewhere;
 * here concurrent requests, each its own incoming request, must each make their own MGET (one
 * request may not await I/O another started) and all be answered.
 */
import { expect, test } from 'vitest'
import { call, mint, resetSeen, seen, testEnv } from './helpers.js'

const CONCURRENT = 16
const enabled = testEnv.UPSTASH_STATS_URL !== ''

async function shimRequests(): Promise<number> {
  return ((await (await fetch(testEnv.UPSTASH_STATS_URL)).json()) as { requests: number }).requests
}

test.skipIf(!enabled)(
  `${CONCURRENT} concurrent requests on one isolate: one MGET each, every one answered, no cross-request I/O`,
  async () => {
    await resetSeen()
    const tokens = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) => mint({ sub: `user-${i}`, sid: `wk-${crypto.randomUUID()}` })),
    )
    expect((await call('/upstash/x', tokens[0])).status).toBe(200) // the JWKS and the lazy client settle
    for (let round = 0; round < 2; round++) {
      const before = await shimRequests()
      const responses = await Promise.all(tokens.map((t) => call('/upstash/x', t)))
      expect(responses.map((r) => r.status)).toEqual(Array(CONCURRENT).fill(200))
      expect((await shimRequests()) - before).toBe(CONCURRENT)
    }
    expect((await seen()).errors).toEqual([])
  },
)

test.skipIf(!enabled)('a revoked mandate is refused on Workers through the Upstash store', async () => {
  const sid = `wk-${crypto.randomUUID()}`
  const token = await mint({ sid })
  expect((await call('/upstash/x', token)).status).toBe(200)
  const res = await fetch(`${testEnv.UPSTASH_REDIS_REST_URL}/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${testEnv.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(['SET', `caracal:revoked:sessions:${sid}`, '1', 'PX', '60000']),
  })
  expect(res.status).toBe(200)
  expect((await call('/upstash/x', token)).status).toBe(401)
})
