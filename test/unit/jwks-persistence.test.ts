/**
 * The persisted JWKS (`jwksCache`): a fake get/put store stands in for KV or the Cache API (the
 * real Cache API is exercised in workerd, test/runtime/workerd/jwks-cache.test.ts).
 */
import { afterEach, describe, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalError } from '../../src/index.js'
import { createDevIssuer, type DevIssuer } from '../../src/testing.js'
import { JwksCache, jwksUrl } from '../../src/verify/jwks.js'
import { persistedKey, resolveJwksStore, type JwksStore } from '../../src/verify/jwks-persistence.js'

const ISSUER = 'https://sts.example'
const ZONE = 'zone-a'
const URL_ = jwksUrl(ISSUER, ZONE)
const KEY = persistedKey(URL_)
const TTL_MS = 300_000 // the dev issuer's max-age

interface FakeStore extends JwksStore {
  readonly entries: Map<string, string>
  readonly puts: { key: string; value: string; expirationTtl: number }[]
  gets: number
}

function fakeStore(): FakeStore {
  const store: FakeStore = {
    entries: new Map(),
    puts: [],
    gets: 0,
    get(key) {
      store.gets++
      return Promise.resolve(store.entries.get(key) ?? null)
    },
    put(key, value, { expirationTtl }) {
      store.puts.push({ key, value, expirationTtl })
      store.entries.set(key, value)
      return Promise.resolve()
    },
  }
  return store
}

let clock = 1_800_000_000_000
let dev: DevIssuer
/** When set, the STS answers every JWKS request with this status. */
let stsDown: number | undefined

async function issuer(): Promise<DevIssuer> {
  dev = await createDevIssuer({ issuer: ISSUER, zoneId: ZONE, audience: 'resource://api' })
  return dev
}

function cache(jwksStore: JwksStore | undefined, overrides: { shareInflight?: boolean; timeoutMs?: number } = {}) {
  return new JwksCache({
    issuer: ISSUER,
    zoneId: ZONE,
    fetch: (input, init) =>
      stsDown === undefined ? dev.fetch(input, init) : Promise.resolve(new Response('', { status: stsDown })),
    staticJwks: undefined,
    timeoutMs: overrides.timeoutMs ?? 1000,
    cooldownMs: 30_000,
    maxStaleMs: 900_000,
    shareInflight: overrides.shareInflight ?? true,
    now: () => clock,
    jwksStore,
  })
}

/** An entry as the library writes it, with any field replaced. */
function entry(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ v: 1, url: URL_, fetchedAt: clock, ttlMs: TTL_MS, jwks: dev.jwks, ...fields })
}

afterEach(() => {
  stsDown = undefined
  clock = 1_800_000_000_000
})

describe('jwksCache: a JWKS that survives the isolate', () => {
  test('a fetch writes the entry; a fresh cache on the same store verifies without fetching', async () => {
    await issuer()
    const store = fakeStore()
    const first = cache(store)
    expect(await first.getKey(dev.kid)).toBeDefined()
    expect(dev.jwksRequests).toBe(1)
    expect(store.puts).toHaveLength(1)
    const [put] = store.puts
    expect(put!.key).toBe(KEY)
    expect(put!.key).not.toBe(URL_) // never answers a plain fetch of the JWKS URL through a shared cache
    expect(put!.expirationTtl).toBe(TTL_MS / 1000)
    expect(JSON.parse(put!.value)).toMatchObject({ v: 1, url: URL_, fetchedAt: clock, ttlMs: TTL_MS })

    clock += 60_000
    const fresh = cache(store)
    expect(await fresh.getKey(dev.kid)).toBeDefined()
    expect(fresh.fetchCount).toBe(0)
    expect(dev.jwksRequests).toBe(1)
    // Fresh only until the original response's freshness ends, not a full max-age from now.
    clock += TTL_MS - 60_000
    expect(await fresh.getKey(dev.kid)).toBeDefined()
    expect(dev.jwksRequests).toBe(2)
  })

  test('an entry past its freshness is not used, even while the STS is down: 503, never the old keys', async () => {
    await issuer()
    const store = fakeStore()
    store.entries.set(KEY, entry({ fetchedAt: clock - TTL_MS }))
    stsDown = 500
    const c = cache(store)
    await expect(Promise.resolve().then(() => c.getKey(dev.kid))).rejects.toMatchObject({
      code: 'temporarily_unavailable',
    })
  })

  test('keys from the entry that lack the kid: one fetch, spending no kid-refetch cooldown', async () => {
    await issuer()
    const store = fakeStore()
    store.entries.set(KEY, entry())
    const oldKid = dev.kid
    const newKid = await dev.rotate()
    const c = cache(store)
    expect(await c.getKey(newKid)).toBeDefined()
    expect(dev.jwksRequests).toBe(1)
    expect(await c.getKey(oldKid)).toBeDefined()
    // A rotation after that is still picked up by the kid refetch, which the load did not spend.
    const newest = await dev.rotate()
    expect(await c.getKey(newest)).toBeDefined()
    expect(dev.jwksRequests).toBe(2)
    // And made-up kids refetch at most once per cooldown.
    for (let i = 0; i < 20; i++) {
      await expect(Promise.resolve().then(() => c.getKey(`made-up-${i}`))).rejects.toMatchObject({
        code: 'invalid_token',
      })
    }
    expect(dev.jwksRequests).toBe(2)
  })

  test('an unknown kid with keys from the entry while the STS is down is 503, never a pass', async () => {
    await issuer()
    const store = fakeStore()
    store.entries.set(KEY, entry())
    stsDown = 503
    const c = cache(store)
    await expect(Promise.resolve().then(() => c.getKey('rotated-in'))).rejects.toMatchObject({
      code: 'temporarily_unavailable',
    })
    expect(await c.getKey(dev.kid)).toBeDefined() // the entry's own keys still serve
  })

  const corrupt: [string, () => string][] = [
    ['not JSON', () => '{"v":1,'],
    ['another format version', () => entry({ v: 2 })],
    ['another JWKS URL', () => entry({ url: jwksUrl(ISSUER, 'zone-b') })],
    ['fetched in the future', () => entry({ fetchedAt: clock + 1000 })],
    ['a freshness beyond the max-age clamp', () => entry({ ttlMs: 24 * 3_600_000 })],
    ['a non-numeric fetch time', () => entry({ fetchedAt: 'now' })],
    ['no usable key', () => entry({ jwks: { keys: [{ kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB' }] } })],
    ['no keys array', () => entry({ jwks: { keys: 'none' } })],
    ['a private key', () => entry({ jwks: { keys: dev.jwks.keys.map((k) => ({ ...k, d: 'secret' })) } })],
    ['oversized', () => entry({ padding: 'x'.repeat(300 * 1024) })],
    ['a JSON null', () => 'null'],
  ]
  for (const [what, make] of corrupt) {
    test(`an entry with ${what} is ignored and the JWKS fetched`, async () => {
      await issuer()
      const store = fakeStore()
      store.entries.set(KEY, make())
      const c = cache(store)
      expect(await c.getKey(dev.kid)).toBeDefined()
      expect(dev.jwksRequests).toBe(1)
      expect(store.puts).toHaveLength(1) // and replaced by the fetched one
    })
  }

  test('an entry whose keys are not the issuer’s own verifies nothing of the issuer', async () => {
    await issuer()
    const other = await createDevIssuer({ issuer: ISSUER, zoneId: ZONE, audience: 'resource://api' })
    const store = fakeStore()
    store.entries.set(KEY, entry({ jwks: other.jwks }))
    const c = cache(store)
    // The issuer's kid is not in the entry: fetched, and the issuer's real key is what serves.
    expect(await c.getKey(dev.kid)).toBeDefined()
    expect(dev.jwksRequests).toBe(1)
  })

  const failing: [string, JwksStore][] = [
    [
      'get throws',
      {
        get: () => {
          throw new Error('KV down')
        },
        put: () => Promise.resolve(),
      },
    ],
    ['get rejects', { get: () => Promise.reject(new Error('KV down')), put: () => Promise.reject(new Error('no')) }],
    ['get never answers', { get: () => new Promise<string>(() => {}), put: () => new Promise(() => {}) }],
    ['get answers a number', { get: () => 42 as unknown as string, put: () => undefined }],
  ]
  for (const [what, store] of failing) {
    test(`a store whose ${what} falls back to fetching, and its put cannot fail the request`, async () => {
      await issuer()
      for (const shareInflight of [true, false]) {
        const c = cache(store, { shareInflight, timeoutMs: 50 })
        expect(await c.getKey(dev.kid)).toBeDefined()
        expect(c.fetchCount).toBe(1)
      }
    })
  }

  test('on Workers (no shared in-flight work) the write is awaited; elsewhere it is left to finish', async () => {
    await issuer()
    let release: () => void = () => {}
    const slowPut: JwksStore = {
      get: () => null,
      put: () => new Promise<void>((resolve) => (release = resolve)),
    }
    let answered = false
    const elsewhere = cache(slowPut, { shareInflight: true })
    await elsewhere.getKey(dev.kid)
    release()

    const workers = cache(slowPut, { shareInflight: false })
    const key = Promise.resolve(workers.getKey(dev.kid)).then(() => (answered = true))
    for (let i = 0; i < 20 && !answered; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(answered).toBe(false)
    release()
    await key
    expect(answered).toBe(true)
  })

  test('warmup() reads the entry too', async () => {
    await issuer()
    const store = fakeStore()
    store.entries.set(KEY, entry())
    const c = cache(store)
    await c.load()
    expect(c.fetchCount).toBe(0)
    expect(await c.getKey(dev.kid)).toBeDefined()
  })
})

describe('the jwksCache option', () => {
  const base = { audience: 'resource://api', issuer: ISSUER, zoneId: ZONE, revocations: new MemoryRevocationStore() }

  test('anything but false or a get/put store is a TypeError at construction', () => {
    for (const bad of [true, 'kv', 0, null, {}, { get() {} }, { put() {} }]) {
      expect(() => withCaracal(() => new Response(), { ...base, jwksCache: bad as never })).toThrow(/jwksCache/)
    }
    expect(() => withCaracal(() => new Response(), { ...base, jwksCache: false })).not.toThrow()
    expect(() => withCaracal(() => new Response(), { ...base, jwksCache: fakeStore() })).not.toThrow()
  })

  test('a store given is used by withCaracal; false uses none', async () => {
    await issuer()
    const store = fakeStore()
    const errors: CaracalError[] = []
    const options = { ...base, fetch: dev.fetch, onError: (e: CaracalError) => errors.push(e) }
    const token = await dev.mint()
    const call = (h: (r: Request) => Response | Promise<Response>) =>
      h(new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } }))
    expect((await call(withCaracal(() => new Response('ok'), { ...options, jwksCache: store }))).status).toBe(200)
    expect((await call(withCaracal(() => new Response('ok'), { ...options, jwksCache: store }))).status).toBe(200)
    expect(dev.jwksRequests).toBe(1)
    expect((await call(withCaracal(() => new Response('ok'), { ...options, jwksCache: false }))).status).toBe(200)
    expect(dev.jwksRequests).toBe(2)
    expect(errors).toEqual([])
  })

  test('by default: caches.default where the runtime has it (Workers), nothing elsewhere', async () => {
    expect(resolveJwksStore(undefined)).toBeUndefined() // Node has no caches.default
    const stored = new Map<string, Response>()
    const fakeCacheApi = {
      match: async (r: Request) => stored.get(r.url)?.clone(),
      put: async (r: Request, response: Response) => void stored.set(r.url, response),
    }
    const g = globalThis as { caches?: unknown }
    const before = g.caches
    g.caches = { default: fakeCacheApi }
    try {
      const store = resolveJwksStore(undefined)!
      await store.put(KEY, 'value', { expirationTtl: 300 })
      expect(stored.get(KEY)?.headers.get('cache-control')).toBe('max-age=300')
      expect(await store.get(KEY)).toBe('value')
      expect(resolveJwksStore(false)).toBeUndefined()
    } finally {
      g.caches = before
    }
  })
})
