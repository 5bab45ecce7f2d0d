import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { AUDIENCE, ZONE_ID } from '../../support/fixture.js'
import { startJwksServer, type JwksServer } from '../../support/jwks-server.js'

let server: JwksServer
let clock = Date.now()

beforeEach(async () => {
  server = await startJwksServer()
  clock = Date.now()
})
afterEach(async () => {
  await server.close()
})

function protect(overrides: Partial<CaracalOptions> = {}) {
  let calls = 0
  const handler = withCaracal(
    () => {
      calls++
      return new Response('ok')
    },
    {
      audience: AUDIENCE,
      issuer: server.issuer,
      zoneId: ZONE_ID,
      revocations: new MemoryRevocationStore(),
      now: () => clock,
      ...overrides,
    },
  )
  const call = (token?: string) =>
    handler(new Request('https://api.example/x', { headers: token ? { authorization: `Bearer ${token}` } : {} }))
  return { handler, call, calls: () => calls }
}

/** A mandate valid at the test's (possibly advanced) clock. */
function mintNow(claims: Record<string, unknown> = {}) {
  const now = Math.floor(clock / 1000)
  return server.dev.mint({ iat: now, exp: now + 300, ...claims })
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.clone().json()) as { error: string }).error
}

describe('JWKS over real HTTP', () => {
  test('fetches {issuer}/.well-known/jwks.json with the configured zone_id, once', async () => {
    const p = protect()
    expect((await p.call(await server.dev.mint())).status).toBe(200)
    expect((await p.call(await server.dev.mint())).status).toBe(200)
    expect(server.requests).toEqual(['/sts/.well-known/jwks.json?zone_id=zone-a'])
  })

  test('the zone comes from configuration, never from the token', async () => {
    const p = protect()
    const res = await p.call(await server.dev.mint({ zone_id: 'zone-evil' }))
    expect(await codeOf(res)).toBe('invalid_zone')
    expect(server.requests.every((r) => r.endsWith('zone_id=zone-a'))).toBe(true)
  })

  test('many concurrent requests on a cold cache cause one fetch', async () => {
    server.behaviour.delayMs = 50
    const p = protect()
    const tokens = await Promise.all(Array.from({ length: 50 }, () => server.dev.mint()))
    const statuses = await Promise.all(tokens.map(async (t) => (await p.call(t)).status))
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(server.requests).toHaveLength(1)
  })

  test('warmup() prefetches, so the first request does not fetch', async () => {
    const p = protect()
    await p.handler.warmup()
    expect(server.requests).toHaveLength(1)
    expect((await p.call(await server.dev.mint())).status).toBe(200)
    expect(server.requests).toHaveLength(1)
  })

  test('warmup() rejects with temporarily_unavailable when the JWKS is down', async () => {
    server.behaviour.status = 500
    await expect(protect().handler.warmup()).rejects.toMatchObject({ code: 'temporarily_unavailable' })
  })

  test.each([
    ['HTTP 500', { status: 500 }],
    ['HTTP 404 (zone has minted nothing yet)', { status: 404 }],
    ['a body that is not JSON', { body: 'not json' }],
    ['a JWKS with no usable key', { body: JSON.stringify({ keys: [{ kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB' }] }) }],
    ['a JWKS over 256 KiB', { body: JSON.stringify({ keys: [], pad: 'x'.repeat(300 * 1024) }) }],
    ['a redirect to another origin', { redirectTo: 'http://127.0.0.2:9/.well-known/jwks.json' }],
  ])('%s with nothing cached is 503 temporarily_unavailable + Retry-After, handler not run', async (_, behaviour) => {
    Object.assign(server.behaviour, behaviour)
    const p = protect()
    const res = await p.call(await server.dev.mint())
    expect(res.status).toBe(503)
    expect(await codeOf(res)).toBe('temporarily_unavailable')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(p.calls()).toBe(0)
  })

  test('a slow JWKS times out to 503 within the deadline', async () => {
    server.behaviour.delayMs = 5_000
    const p = protect({ jwksTimeoutMs: 200 })
    const started = performance.now()
    const res = await p.call(await server.dev.mint())
    expect(res.status).toBe(503)
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  test('after a failure with nothing cached, requests get 503 at once without refetching (backoff)', async () => {
    server.behaviour.status = 500
    const p = protect()
    const token = await server.dev.mint()
    for (let i = 0; i < 5; i++) expect((await p.call(token)).status).toBe(503)
    expect(server.requests).toHaveLength(1)
    server.behaviour.status = 200
    clock += 6_000
    expect((await p.call(token)).status).toBe(200)
    expect(server.requests).toHaveLength(2)
  })

  test('a custom fetch that follows a cross-origin redirect itself gets its keys refused (503)', async () => {
    const attacker = await startJwksServer()
    try {
      server.behaviour.redirectTo = `${attacker.issuer}/.well-known/jwks.json?zone_id=zone-a`
      const p = protect({ fetch: (url) => fetch(url) }) // drops init, so redirect: 'manual' too
      const res = await p.call(await attacker.dev.mint())
      expect(res.status).toBe(503)
      expect(await codeOf(res)).toBe('temporarily_unavailable')
      expect(attacker.requests.length).toBe(1) // the redirect was followed, and its answer refused
      expect(p.calls()).toBe(0)
    } finally {
      await attacker.close()
    }
  })

  test('a same-origin redirect is followed', async () => {
    const p = protect()
    server.behaviour.redirectTo = `${server.issuer}/.well-known/jwks.json?zone_id=zone-a&moved=1`
    expect((await p.call(await server.dev.mint())).status).toBe(200)
    expect(server.requests).toEqual([
      '/sts/.well-known/jwks.json?zone_id=zone-a',
      '/sts/.well-known/jwks.json?zone_id=zone-a&moved=1',
    ])
  })

  test('keys stay fresh for max-age, then are refetched', async () => {
    server.behaviour.cacheControl = 'public, max-age=60'
    const p = protect()
    expect((await p.call(await mintNow())).status).toBe(200)
    clock += 59_000
    expect((await p.call(await mintNow())).status).toBe(200)
    expect(server.requests).toHaveLength(1)
    clock += 2_000
    expect((await p.call(await mintNow())).status).toBe(200)
    expect(server.requests).toHaveLength(2)
  })

  test('without max-age the default freshness is 5 minutes', async () => {
    server.behaviour.cacheControl = ''
    const p = protect()
    expect((await p.call(await mintNow())).status).toBe(200)
    clock += 299_000
    expect((await p.call(await mintNow())).status).toBe(200)
    expect(server.requests).toHaveLength(1)
    clock += 2_000
    expect((await p.call(await mintNow())).status).toBe(200)
    expect(server.requests).toHaveLength(2)
  })

  test('expired keys serve stale for a bounded window while the JWKS is down, then 503', async () => {
    const p = protect({ jwksMaxStaleMs: 60_000 })
    expect((await p.call(await mintNow())).status).toBe(200)
    server.behaviour.status = 503
    clock += 301_000
    expect((await p.call(await mintNow())).status).toBe(200)
    const fetchesAfterFailure = server.requests.length
    expect((await p.call(await mintNow())).status).toBe(200)
    expect(server.requests.length).toBe(fetchesAfterFailure) // backoff: no fetch per request while stale
    clock += 61_000
    const res = await p.call(await mintNow())
    expect(res.status).toBe(503)
    expect(await codeOf(res)).toBe('temporarily_unavailable')
    // Past the stale window the backoff still holds: requests get 503 without a fetch each.
    const fetchesAtExpiry = server.requests.length
    for (let i = 0; i < 10; i++) expect((await p.call(await mintNow())).status).toBe(503)
    expect(server.requests.length).toBe(fetchesAtExpiry)
    clock += 6_000
    server.behaviour.status = 200
    expect((await p.call(await mintNow())).status).toBe(200)
    expect(server.requests.length).toBe(fetchesAtExpiry + 1)
  })

  test('an unknown kid on a cold cache costs one fetch, not a second one for the kid', async () => {
    const p = protect()
    const res = await p.call(await server.dev.mint({}, { kid: 'never-published' }))
    expect(res.status).toBe(401)
    expect(await codeOf(res)).toBe('invalid_token')
    expect(server.requests).toHaveLength(1)
    expect(p.calls()).toBe(0)
  })

  test('a custom fetch that ignores the abort signal still times out to 503', async () => {
    const never = (): Promise<Response> => new Promise<Response>(() => {})
    const p = protect({ fetch: never, jwksTimeoutMs: 150 })
    const started = performance.now()
    const res = await p.call(await server.dev.mint())
    expect(res.status).toBe(503)
    expect(await codeOf(res)).toBe('temporarily_unavailable')
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(p.calls()).toBe(0)
  })

  test('rotation: a new kid triggers one refetch; random kids within the cooldown trigger none', async () => {
    const p = protect()
    expect((await p.call(await server.dev.mint())).status).toBe(200)
    await server.dev.rotate()
    expect((await p.call(await server.dev.mint())).status).toBe(200)
    expect(server.requests).toHaveLength(2)
    const flood = await Promise.all(
      Array.from(
        { length: 100 },
        async (_, i) => (await p.call(await server.dev.mint({}, { kid: `forged-${i}` }))).status,
      ),
    )
    expect(flood.every((s) => s === 401)).toBe(true)
    expect(server.requests).toHaveLength(2)
    clock += 30_000
    expect((await p.call(await server.dev.mint({}, { kid: 'forged-after-cooldown' }))).status).toBe(401)
    expect(server.requests).toHaveLength(3)
  })

  test('while the JWKS cannot be fetched, an unknown kid is 503 every time (it may have rotated in), without a fetch per request', async () => {
    const p = protect()
    expect((await p.call(await mintNow())).status).toBe(200)
    server.behaviour.status = 503
    const known = await mintNow()
    const unknown = await server.dev.mint({ iat: Math.floor(clock / 1000) }, { kid: 'rotated-in' })
    for (let i = 0; i < 3; i++) {
      const res = await p.call(unknown)
      expect(res.status).toBe(503)
      expect(await codeOf(res)).toBe('temporarily_unavailable')
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    }
    expect(server.requests).toHaveLength(2) // the first load, then one refetch for the kid
    expect((await p.call(known)).status).toBe(200) // the cached, fresh keys still serve
    // Once the JWKS answers again, a kid it does not hold is invalid_token, as before the outage.
    server.behaviour.status = 200
    clock += 30_000
    const res = await p.call(await server.dev.mint({ iat: Math.floor(clock / 1000) }, { kid: 'rotated-in' }))
    expect(res.status).toBe(401)
    expect(await codeOf(res)).toBe('invalid_token')
    expect(server.requests).toHaveLength(3)
    expect((await p.call(await server.dev.mint({ iat: Math.floor(clock / 1000) }, { kid: 'other' }))).status).toBe(401)
    expect(p.calls()).toBe(2)
  })

  test('the previous key keeps verifying after a rotation', async () => {
    const p = protect()
    const old = await server.dev.mint()
    const oldKid = server.dev.kid
    await server.dev.rotate()
    expect((await p.call(old)).status).toBe(200)
    expect((await p.call(await server.dev.mint({}, { kid: oldKid }))).status).toBe(200)
  })
})

describe('issuer URL rules', () => {
  test.each(['http://sts.example.com', 'ftp://127.0.0.1', 'not a url', 'http://10.0.0.1'])(
    '%s is refused at construction',
    (issuer) => {
      expect(() => protect({ issuer })).toThrow(/issuer .* (must use https|is not an absolute URL)/)
    },
  )
  test.each([
    'https://sts.example.com',
    'http://127.0.0.1:8080',
    'http://localhost',
    'http://[::1]:9000',
    'http://127.4.5.6',
  ])('%s is accepted', (issuer) => {
    expect(() => protect({ issuer })).not.toThrow()
  })
})
