import { describe, expect, test, vi } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { createDevIssuer } from '../../../src/testing.js'
import { JwksCache, type JsonWebKeySet } from '../../../src/verify/jwks.js'
import { MandateCache, type MandateCacheOptions } from '../../../src/verify/mandate-cache.js'
import type { Mandate } from '../../../src/verify/mandate.js'
import type { VerifiedMandate } from '../../../src/verify/verified.js'
import { DEFAULTS } from '../../../src/core/options.js'
import { AUDIENCE, DEV_ZONE, ISSUER, ORIGIN, ZONE_ID, bearerRequest, trusting } from '../../support/fixture.js'
import { signatureCalls } from '../../support/counting-signature.js'

const newCache = (limits: MandateCacheOptions = {}) => new MandateCache({ ...DEFAULTS.mandateCache, ...limits })

// Count signature verifications: a cache hit must not reach the primitive.
vi.mock('#signature', () => import('../../support/counting-signature.js'))

async function setup(overrides: Partial<CaracalOptions> = {}) {
  const dev = await createDevIssuer(DEV_ZONE)
  let clock = Date.now()
  const store = new MemoryRevocationStore()
  const handler = withCaracal(() => new Response('ok'), {
    ...trusting(dev),
    revocations: store,
    now: () => clock,
    ...overrides,
  })
  /** The status of a request with this Authorization header. */
  const send = async (authorization: string, path = '/x') =>
    (await handler(new Request(`${ORIGIN}${path}`, { headers: { authorization } }))).status
  const call = (token: string, path = '/x') => send(`Bearer ${token}`, path)
  signatureCalls.verifies = 0
  return { dev, store, call, send, advance: (ms: number) => (clock += ms), now: () => clock }
}

describe('the verified-mandate cache through withCaracal', () => {
  test('a repeated token is verified once; requirements and revocation still run on every hit', async () => {
    const { dev, store, call } = await setup({ routes: { '/admin': { requiredScopes: ['admin'] } } })
    const token = await dev.mint({ sid: 'sid-1', scope: 'read' })
    for (let i = 0; i < 20; i++) expect(await call(token)).toBe(200)
    expect(signatureCalls.verifies).toBe(1)
    expect(await call(token, '/admin')).toBe(403)
    store.markRevoked('sid-1')
    expect(await call(token)).toBe(401)
    expect(signatureCalls.verifies).toBe(1)
  })

  test('every accepted spelling of the Authorization header reaches the one cached mandate', async () => {
    const { dev, store, send: status } = await setup()
    const token = await dev.mint({ sid: 'sid-spelling' })
    const spellings = [
      `Bearer ${token}`,
      `bearer ${token}`,
      `BEARER  ${token}`,
      `Bearer\t${token}`,
      `Bearer ${token}  `,
    ]
    for (const spelling of [...spellings, ...spellings]) expect(await status(spelling)).toBe(200)
    expect(signatureCalls.verifies).toBe(1)
    // Revocation holds on the fast path (`Bearer <token>`) and on the others alike.
    store.markRevoked('sid-spelling')
    for (const spelling of spellings) expect(await status(spelling)).toBe(401)
    expect(signatureCalls.verifies).toBe(1)
  })

  test('mandateCache: false verifies the signature on every request', async () => {
    const { dev, call } = await setup({ mandateCache: false })
    const token = await dev.mint()
    for (let i = 0; i < 5; i++) expect(await call(token)).toBe(200)
    expect(signatureCalls.verifies).toBe(5)
  })

  test('an entry never outlives the mandate exp', async () => {
    const { dev, call, advance } = await setup()
    const token = await dev.mint({}, { expiresIn: 60 })
    expect(await call(token)).toBe(200)
    advance(59_000)
    expect(await call(token)).toBe(200)
    advance(1_000)
    expect(await call(token)).toBe(401)
  })

  test('an entry is re-verified after maxAgeMs', async () => {
    const { dev, call, advance } = await setup({ mandateCache: { maxAgeMs: 10_000 } })
    const token = await dev.mint({}, { expiresIn: 900 })
    expect(await call(token)).toBe(200)
    advance(9_000)
    expect(await call(token)).toBe(200)
    expect(signatureCalls.verifies).toBe(1)
    advance(2_000)
    expect(await call(token)).toBe(200)
    expect(signatureCalls.verifies).toBe(2)
  })

  test('a cached mandate whose key left the JWKS is refused', async () => {
    const { dev, call, advance } = await setup({ mandateCache: { maxAgeMs: 3_000_000 } })
    const token = await dev.mint({}, { expiresIn: 3_000 })
    expect(await call(token)).toBe(200)
    await dev.rotate()
    await dev.rotate() // the first key is now neither active nor previous
    advance(301_000) // JWKS freshness over: the next request refetches and drops the old key
    expect(await call(await dev.mint({}, { expiresIn: 3_000 }))).toBe(200)
    expect(await call(token)).toBe(401)
  })

  test('when full, mandates used once do not push out one in use; a reused one gets in on its second request', async () => {
    const { dev, call } = await setup({ mandateCache: { maxEntries: 4 } })
    const hot = await dev.mint({ sid: 'hot' })
    expect(await call(hot)).toBe(200)
    for (let i = 0; i < 3; i++) expect(await call(await dev.mint({ sid: `fill-${i}` }))).toBe(200)
    for (let i = 0; i < 40; i++) expect(await call(await dev.mint({ sid: `once-${i}` }))).toBe(200)
    let before = signatureCalls.verifies
    expect(await call(hot)).toBe(200)
    expect(signatureCalls.verifies).toBe(before)

    const reused = await dev.mint({ sid: 'reused' })
    before = signatureCalls.verifies
    for (let i = 0; i < 5; i++) expect(await call(reused)).toBe(200)
    expect(signatureCalls.verifies).toBe(before + 2)
  })

  test('cache limits are checked when the handler is built', () => {
    const build = (mandateCache: unknown) => () =>
      withCaracal(() => new Response('ok'), {
        audience: AUDIENCE,
        issuer: ISSUER,
        zoneId: ZONE_ID,
        revocations: new MemoryRevocationStore(),
        mandateCache: mandateCache as CaracalOptions['mandateCache'],
      })
    expect(build({ maxEntries: 0 })).toThrow(/mandateCache\.maxEntries` must be a positive integer/)
    expect(build({ maxEntries: 2.5 })).toThrow(/mandateCache\.maxEntries/)
    expect(build({ maxBytes: -1 })).toThrow(/mandateCache\.maxBytes` must be a positive integer/)
    expect(build({ maxAgeMs: Number.NaN })).toThrow(/mandateCache\.maxAgeMs` must be a positive number/)
    expect(build({ maxEntries: 1, maxBytes: 4096, maxAgeMs: 1000 })).not.toThrow()
  })

  test('a flood of bad tokens never enters the cache nor evicts a good one', async () => {
    const { dev, call } = await setup({ mandateCache: { maxEntries: 4 } })
    const good = await dev.mint()
    expect(await call(good)).toBe(200)
    const [h, p] = good.split('.')
    for (let i = 0; i < 200; i++) {
      const forged = `${h}.${p}.${'A'.repeat(85)}${String.fromCharCode(65 + (i % 26))}`
      expect(await call(forged)).toBe(401)
    }
    const before = signatureCalls.verifies
    expect(await call(good)).toBe(200)
    expect(signatureCalls.verifies).toBe(before)
  })
})

describe('cache lookups by fingerprint', () => {
  test('a token made to share a cached token’s length and last 24 characters is verified, refused, and evicts nothing', async () => {
    const { dev, call } = await setup()
    const good = await dev.mint({ scope: 'read' })
    expect(await call(good)).toBe(200)
    // Same length, same signature tail (so the same fingerprint), another payload: a different token.
    const [h, p, sig] = good.split('.') as [string, string, string]
    const flipped = p[0] === 'e' ? 'f' : 'e'
    const forged = `${h}.${flipped}${p.slice(1)}.${sig}`
    expect(forged.length).toBe(good.length)
    const before = signatureCalls.verifies
    expect(await call(forged)).toBe(401)
    expect(signatureCalls.verifies).toBe(before + 1)
    expect(await call(good)).toBe(200)
    expect(signatureCalls.verifies).toBe(before + 1)
  })

  test('every spelling of the same token in the header (scheme case, whitespace) hits one entry', async () => {
    const { dev } = await setup()
    const handler = withCaracal(() => new Response('ok'), {
      audience: AUDIENCE,
      issuer: dev.issuer,
      zoneId: dev.zoneId,
      fetch: dev.fetch,
      revocations: new MemoryRevocationStore(),
    })
    const token = await dev.mint()
    signatureCalls.verifies = 0
    for (const header of [`Bearer ${token}`, `bearer \t ${token}`, `BEARER ${token} \u00a0`, `Bearer\t${token}\t`]) {
      const response = await handler(new Request('https://api.example/x', { headers: { authorization: header } }))
      expect(response.status, JSON.stringify(header)).toBe(200)
    }
    expect(signatureCalls.verifies).toBe(1)
    // The token text itself still has to match to the last character.
    const other = await handler(
      new Request('https://api.example/x', { headers: { authorization: `Bearer ${token.slice(0, -1)}` } }),
    )
    expect(other.status).toBe(401)
  })
})

test('a cached mandate is dropped when its kid comes back naming other key material', async () => {
  // Two issuers, one kid: the JWKS first maps it to A's key, then (after a refetch) to B's.
  const a = await createDevIssuer(DEV_ZONE)
  const b = await createDevIssuer(DEV_ZONE)
  for (const mandateCache of [undefined, false as const]) {
    let jwks = a.jwks
    let clock = Date.now()
    const handler = withCaracal(() => new Response('ok'), {
      audience: AUDIENCE,
      issuer: ISSUER,
      zoneId: ZONE_ID,
      revocations: new MemoryRevocationStore(),
      now: () => clock,
      fetch: async () => Response.json(jwks, { headers: { 'cache-control': 'max-age=60' } }),
      ...(mandateCache === undefined ? {} : { mandateCache }),
    })
    const call = async (token: string) => (await handler(bearerRequest(token))).status
    const signedByA = await a.mint({}, { expiresIn: 900 })
    expect(await call(signedByA)).toBe(200)
    expect(await call(signedByA)).toBe(200) // cached, when the cache is on
    jwks = { keys: [{ ...b.jwks.keys[0]!, kid: a.kid }] }
    clock += 61_000 // the keys are stale; the entry (maxAgeMs 300 s, exp 900 s) is not
    const signedByB = await b.mint({ iat: Math.floor(clock / 1000) }, { expiresIn: 900, header: { kid: a.kid } })
    expect(await call(signedByB)).toBe(200) // the refetch now maps the kid to B's key
    expect(await call(signedByA), `mandateCache ${String(mandateCache)}`).toBe(401)
  }
})

function fakeMandate(expiresAt: number): VerifiedMandate {
  return { kind: 'verified', mandate: { expiresAt } as Mandate, anchors: [] }
}

describe('MandateCache bounds', () => {
  const now = 1_000_000_000_000
  const exp = now / 1000 + 900

  test('a flood of distinct valid tokens stays within maxEntries and maxBytes', () => {
    const cache = newCache({ maxEntries: 1000, maxBytes: 1_000_000 })
    for (let i = 0; i < 20_000; i++) cache.set(`token-${i}-${'x'.repeat(400)}`, 0, fakeMandate(exp), now)
    expect(cache.size).toBeLessThanOrEqual(1000)
    expect(cache.bytes).toBeLessThanOrEqual(1_000_000)
    expect(cache.size).toBeGreaterThan(0)
  })

  test('when full, a new token gets in on its second verification and evicts the oldest entry, never more', () => {
    const cache = newCache({ maxEntries: 100 })
    for (let i = 0; i < 100; i++) cache.set(`t${i}`, 0, fakeMandate(exp), now)
    expect(cache.size).toBe(100)
    cache.set('t100', 0, fakeMandate(exp), now)
    expect(cache.get('t100', now, 0)).toBeUndefined()
    expect(cache.get('t0', now, 0)).toBeDefined()
    cache.set('t100', 0, fakeMandate(exp), now)
    expect(cache.size).toBe(100)
    expect(cache.get('t100', now, 0)).toBeDefined()
    expect(cache.get('t0', now, 0)).toBeUndefined()
    for (let i = 1; i <= 100; i++) expect(cache.get(`t${i}`, now, 0)).toBeDefined()
  })

  test('when full, a flood of tokens each verified once evicts nothing', () => {
    const cache = newCache({ maxEntries: 100 })
    for (let i = 0; i < 100; i++) cache.set(`t${i}`, 0, fakeMandate(exp), now)
    for (let i = 0; i < 50_000; i++)
      cache.set(`flood-${i}.${i.toString(36).padStart(24, 'q')}`, 0, fakeMandate(exp), now)
    expect(cache.size).toBe(100)
    for (let i = 0; i < 100; i++) expect(cache.get(`t${i}`, now, 0)).toBeDefined()
  })

  test('when full of expired entries, a new token is cached at once', () => {
    const cache = newCache({ maxEntries: 10 })
    for (let i = 0; i < 10; i++) cache.set(`old-${i}`, 0, fakeMandate(now / 1000 + 60), now)
    const later = now + 61_000
    cache.set('fresh', 0, fakeMandate(exp), later)
    expect(cache.get('fresh', later, 0)).toBeDefined()
    expect(cache.size).toBe(10)
  })

  test('below the bounds every verified token is cached at once', () => {
    const cache = newCache({ maxEntries: 100 })
    for (let i = 0; i < 100; i++) cache.set(`t${i}`, 0, fakeMandate(exp), now)
    for (let i = 0; i < 100; i++) expect(cache.get(`t${i}`, now, 0)).toBeDefined()
  })

  test('the byte bound also admits a new token only on its second verification', () => {
    const cache = newCache({ maxBytes: 3 * (512 + 2 * 64) })
    const token = (i: number) => `${i}`.padStart(64, 'z')
    for (let i = 0; i < 3; i++) cache.set(token(i), 0, fakeMandate(exp), now)
    expect(cache.size).toBe(3)
    cache.set(token(3), 0, fakeMandate(exp), now)
    expect(cache.get(token(3), now, 0)).toBeUndefined()
    cache.set(token(3), 0, fakeMandate(exp), now)
    expect(cache.get(token(3), now, 0)).toBeDefined()
    expect(cache.get(token(0), now, 0)).toBeUndefined()
    expect(cache.bytes).toBeLessThanOrEqual(3 * (512 + 2 * 64))
  })

  test('an expired entry is evicted before a live one', () => {
    const cache = newCache({ maxEntries: 3 })
    cache.set('live-1', 0, fakeMandate(exp), now)
    cache.set('short', 0, fakeMandate(now / 1000 + 10), now)
    cache.set('live-2', 0, fakeMandate(exp), now)
    cache.set('new', 0, fakeMandate(exp), now + 20_000)
    cache.set('new', 0, fakeMandate(exp), now + 20_000)
    expect(cache.get('new', now + 20_000, 0)).toBeDefined()
    expect(cache.get('short', now, 0)).toBeUndefined()
    expect(cache.get('live-1', now + 20_000, 0)).toBeDefined()
    expect(cache.get('live-2', now + 20_000, 0)).toBeDefined()
  })

  test('an entry larger than maxBytes is not cached', () => {
    const cache = newCache({ maxBytes: 1024 })
    cache.set('x'.repeat(4096), 0, fakeMandate(exp), now)
    expect(cache.size).toBe(0)
  })
})

describe('MandateCache lookup by Authorization header', () => {
  const now = 1_000_000_000_000
  const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.' + 'S'.repeat(78) + 'abcdefgh'

  test('finds an entry from the exact header `Bearer <token>`, and from nothing else', () => {
    const cache = newCache()
    const entry = fakeMandate(now / 1000 + 900)
    cache.set(token, 0, entry, now)
    expect(cache.getByHeader(`Bearer ${token}`, now, 0)).toBe(entry)
    expect(cache.get(token, now, 0)).toBe(entry)
    // Other spellings of the same header are not found here (the authenticator then cuts the
    // token out and calls get): another case, two spaces, a tab, trailing whitespace.
    for (const header of [`bearer ${token}`, `Bearer  ${token}`, `Bearer\t${token}`, `Bearer ${token} `]) {
      expect(cache.getByHeader(header, now, 0), JSON.stringify(header.slice(0, 8))).toBeUndefined()
    }
  })

  test('a header with the same length and tail as a cached one, but other characters, is a miss', () => {
    const cache = newCache()
    cache.set(token, 0, fakeMandate(now / 1000 + 900), now)
    const forged = `Bearer ${'X' + token.slice(1)}`
    expect(forged.length).toBe(token.length + 7)
    expect(cache.getByHeader(forged, now, 0)).toBeUndefined()
    expect(cache.getByHeader(`Xearer ${token}`, now, 0)).toBeUndefined()
    // ...and the miss leaves the real entry in place.
    expect(cache.getByHeader(`Bearer ${token}`, now, 0)).toBeDefined()
  })

  test('an expired entry, or one verified under another key generation, is a miss by header too', () => {
    const cache = newCache()
    cache.set(token, 0, fakeMandate(now / 1000 + 60), now)
    expect(cache.getByHeader(`Bearer ${token}`, now, 1)).toBeUndefined()
    expect(cache.size).toBe(0)
    cache.set(token, 0, fakeMandate(now / 1000 + 60), now)
    expect(cache.getByHeader(`Bearer ${token}`, now + 60_000, 0)).toBeUndefined()
    expect(cache.size).toBe(0)
  })
})

describe('JWKS key generation (what a cached mandate is checked against)', () => {
  test('changes when a kid stops naming its key object, and only then; -1 without current keys', async () => {
    const a = await createDevIssuer(DEV_ZONE)
    const b = await createDevIssuer(DEV_ZONE)
    let clock = 1_000_000_000_000
    let served: JsonWebKeySet = a.jwks
    const jwks = new JwksCache({
      issuer: ISSUER,
      zoneId: ZONE_ID,
      fetch: async () => Response.json(served, { headers: { 'cache-control': 'max-age=60' } }),
      timeoutMs: 1000,
      cooldownMs: 0,
      maxStaleMs: 60_000,
      shareInflight: true,
      now: () => clock,
    })
    expect(jwks.keyGeneration(clock)).toBe(-1) // nothing fetched yet
    await jwks.load()
    const first = jwks.keyGeneration(clock)
    expect(first).toBeGreaterThanOrEqual(0)

    await jwks.load() // the same keys again
    expect(jwks.keyGeneration(clock)).toBe(first)
    served = { keys: [...a.jwks.keys, ...b.jwks.keys] } // a kid rotates in; a's kid still names a's key
    await jwks.load()
    expect(jwks.keyGeneration(clock)).toBe(first)

    served = b.jwks // a's kid leaves the set
    await jwks.load()
    const second = jwks.keyGeneration(clock)
    expect(second).not.toBe(first)

    served = { keys: [{ ...a.jwks.keys[0]!, kid: b.kid }] } // b's kid now names other key material
    await jwks.load()
    expect(jwks.keyGeneration(clock)).not.toBe(second)
    expect(jwks.keyGeneration(clock)).toBeGreaterThanOrEqual(0)

    // Past the fresh (60 s) and stale (60 s more) windows there are no current keys.
    expect(jwks.keyGeneration(clock + 119_000)).toBeGreaterThanOrEqual(0)
    expect(jwks.keyGeneration(clock + 120_000)).toBe(-1)
  })
})
