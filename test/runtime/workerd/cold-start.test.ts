/**
 * Cold start on Workers: many first requests arrive at once in one isolate, before any JWKS is
 * cached. Each is a separate incoming request to the Worker (its own I/O context) and the JWKS comes
 * over real HTTP from the loopback issuer. All must be verified, and none may trip workerd's
 * "Cannot perform I/O on behalf of a different request".
 */
import { expect, test } from 'vitest'
import { call, jwksRequests, mint, resetSeen, seen, setJwksDelay, unique } from './helpers.js'

const CONCURRENT = 50
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

test('negative control: workerd refuses a request reading a JWKS response another request fetched', async () => {
  expect((await call('/shared-io/start')).status).toBe(200)
  const res = await call('/shared-io/read')
  expect(res.status).toBe(500)
  expect(await res.text()).toMatch(/Cannot perform I\/O on behalf of a different request/)
})

test(`${CONCURRENT} concurrent first requests in one isolate are all verified, with no cross-request I/O`, async () => {
  await resetSeen()
  const id = unique('cold')
  const tokens = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => mint({ sub: `user-${i}` })))
  const before = await jwksRequests()
  const responses = await Promise.all(tokens.map((t) => call(`/cold/${id}/x`, t)))
  const bodies = await Promise.all(responses.map((r) => r.text()))
  const fetched = (await jwksRequests()) - before

  expect(responses.map((r) => r.status)).toEqual(Array(CONCURRENT).fill(200))
  expect(bodies.map((b) => (JSON.parse(b) as { sub: string }).sub)).toEqual(tokens.map((_, i) => `user-${i}`))
  expect((await seen()).errors).toEqual([])
  // Workers do not share an in-flight JWKS fetch between requests (that is the cross-request I/O),
  // so a cold isolate may fetch once per concurrent first request, never more.
  expect(fetched).toBeGreaterThanOrEqual(1)
  expect(fetched).toBeLessThanOrEqual(CONCURRENT)
  console.log(`cold start: ${CONCURRENT} concurrent first requests made ${fetched} JWKS fetches`)

  // Once one of them has cached the keys, later requests fetch nothing.
  const warm = await Promise.all(tokens.map((t) => call(`/cold/${id}/x`, t)))
  expect(warm.map((r) => r.status)).toEqual(Array(CONCURRENT).fill(200))
  expect((await jwksRequests()) - before).toBe(fetched)
})

test('a first request abandoned while its JWKS fetch is in flight does not stall the requests that arrived with it', async () => {
  // Sharing that fetch between requests would leave the others waiting on a cancelled request's
  // I/O until they time out; each request must depend only on its own I/O.
  const id = unique('abandoned')
  const tokens = await Promise.all(Array.from({ length: 6 }, () => mint()))
  await setJwksDelay(300)
  try {
    const abandon = new AbortController()
    const first = call(`/cold/${id}/x`, tokens[0], { signal: abandon.signal }).then(
      (r) => `answered ${r.status}`,
      (e: unknown) => `aborted: ${String(e)}`,
    )
    await sleep(50) // its JWKS fetch is now waiting on the issuer
    const others = tokens.slice(1).map((t) => call(`/cold/${id}/x`, t))
    await sleep(20)
    abandon.abort()
    expect(await first).toMatch(/^aborted/)
    const stalled = sleep(5_000).then(() => 'stalled' as const)
    const answers = await Promise.race([Promise.all(others), stalled])
    expect(answers).not.toBe('stalled')
    expect((answers as Response[]).map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
  } finally {
    await setJwksDelay(0)
  }
})
