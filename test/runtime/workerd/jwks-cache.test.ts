/**
 * The persisted JWKS on Workers: a fresh `withCaracal` (a fresh JwksCache, as a new isolate has)
 * finds the keys in the Cache API (`caches.default`, the default) or in a KV namespace and
 * verifies its first requests without calling the JWKS endpoint, counted at the loopback issuer.
 */
import { expect, test } from 'vitest'
import { call, jwksRequests, mint, resetSeen, seen, testEnv, unique } from './helpers.js'

const CONCURRENT = 20

for (const route of ['persisted', 'persisted-kv']) {
  const where = route === 'persisted' ? 'caches.default' : 'a KV namespace'
  test(`${where}: fresh instances verify their first requests without a JWKS fetch`, async () => {
    await resetSeen()
    const token = await mint()
    // Whoever goes first (this test or an earlier one) leaves the keys in the store.
    expect((await call(`/${route}/${unique('first')}/x`, token)).status).toBe(200)

    const before = await jwksRequests()
    for (let i = 0; i < 3; i++) expect((await call(`/${route}/${unique('fresh')}/x`, token)).status).toBe(200)
    // Many first requests at once on one fresh instance: each reads the store in its own I/O context.
    const id = unique('burst')
    const tokens = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => mint({ sub: `user-${i}` })))
    const responses = await Promise.all(tokens.map((t) => call(`/${route}/${id}/x`, t)))
    expect(responses.map((r) => r.status)).toEqual(Array(CONCURRENT).fill(200))
    expect(await jwksRequests()).toBe(before)
    expect((await seen()).errors).toEqual([])
  })
}

test('negative control: with jwksCache: false every fresh instance fetches the JWKS', async () => {
  const token = await mint()
  const before = await jwksRequests()
  for (let i = 0; i < 3; i++) expect((await call(`/persisted-off/${unique('off')}/x`, token)).status).toBe(200)
  expect(await jwksRequests()).toBe(before + 3)
})

test('the KV entry is JSON under the JWKS URL plus a marker, with the response freshness', async () => {
  const token = await mint()
  expect((await call(`/persisted-kv/${unique('kv')}/x`, token)).status).toBe(200)
  const url = `${testEnv.CARACAL_STS_URL}/.well-known/jwks.json?zone_id=${testEnv.CARACAL_ZONE_ID}`
  const raw = (await testEnv.REVOCATIONS.get(`${url}&caracal-fetch-cache=1`)) as string | null
  expect(raw).not.toBeNull()
  const entry = JSON.parse(raw!) as { v: number; url: string; ttlMs: number; jwks: { keys: unknown[] } }
  expect(entry).toMatchObject({ v: 1, url, ttlMs: 300_000 })
  expect(entry.jwks.keys.length).toBeGreaterThan(0)
})
