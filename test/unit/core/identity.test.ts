import { afterEach, describe, expect, test, vi } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { createDevIssuer } from '../../../src/testing.js'

const AUDIENCE = 'resource://billing-api'
const ok = () => new Response('ok')

afterEach(() => {
  vi.unstubAllEnvs()
  vi.unstubAllGlobals()
})

async function setup() {
  const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
  const base = {
    audience: AUDIENCE,
    issuer: dev.issuer,
    zoneId: dev.zoneId,
    fetch: dev.fetch,
    revocations: new MemoryRevocationStore(),
  }
  const req = async (claims: Record<string, unknown> = {}) =>
    new Request('https://api.example/x', { headers: { authorization: `Bearer ${await dev.mint(claims)}` } })
  return { dev, base, req }
}

describe('construction errors name the option and the fix', () => {
  test.each([
    [{ issuer: undefined }, /withCaracal: no issuer; pass `issuer` or set CARACAL_STS_URL/],
    [{ zoneId: undefined }, /withCaracal: no zoneId; pass `zoneId` or set CARACAL_ZONE_ID/],
    [{ audience: undefined }, /withCaracal: no audience; pass `audience` or set CARACAL_AUDIENCE/],
    [{ revocations: undefined }, /`revocations` is required/],
    [{ revocations: {} }, /`revocations` has no isRevoked\(\) method/],
    [{ requiredScopes: 'a b' }, /`requiredScopes` must be an array of non-empty strings without whitespace/],
    [{ requiredScopes: [''] }, /`requiredScopes`/],
    [{ maxHopCount: -1 }, /`maxHopCount` must be an integer >= 0/],
    [{ requireAgent: 'yes' }, /`requireAgent` must be true or false/],
    [{ requiredUse: 'admin' }, /`requiredUse` must be/],
    [{ routes: { payouts: {} } }, /every `routes` entry must be a path starting with "\/"/],
    [
      { routes: { '/p': { requiredScope: ['x'] } } },
      /routes\["\/p"\]: unknown option `requiredScope`; did you mean `requiredScopes`\?/,
    ],
    [{ exclude: '/healthz' }, /`exclude` must be an array/],
    [{ jwksTimeoutMs: 0 }, /`jwksTimeoutMs` must be a positive number/],
    [{ issuer: 'http://sts.example.com' }, /must use https:/],
    [
      { issuer: 'https://sts.example/?tenant=t' },
      /issuer "https:\/\/sts.example\/\?tenant=t" must have no query \(\?\) or fragment/,
    ],
    [{ issuer: 'https://sts.example/#x' }, /must have no query \(\?\) or fragment \(#\)/],
    [{ issuer: 'https://sts.example/?' }, /must have no query/],
    [{ resourceMetadata: 'ftp://x' }, /`resourceMetadata` "ftp:\/\/x" must use https:/],
    [{ resourceMetadata: 'https://a.example/x\ny' }, /`resourceMetadata` .* must be printable ASCII without spaces/],
    [{ resourceMetadata: 'https://a.example/"x"' }, /`resourceMetadata` .* without spaces, quotes or backslashes/],
    [{ resourceMetadata: 42 }, /`resourceMetadata` 42 is not a string/],
    [
      { revocations: MemoryRevocationStore },
      /`revocations` is a store class, not a store; .*new MemoryRevocationStore\(\)/,
    ],
    [{ jwks: { keys: 'k' } }, /`jwks` must be a JWK set/],
    [
      {
        jwks: {
          keys: [
            { kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB' },
            { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
          ],
        },
      },
      /`jwks` holds no usable key; it needs a public EC P-256 key with a `kid`/,
    ],
  ])('%o', async (override, message) => {
    const { base } = await setup()
    expect(() => withCaracal(ok, { ...base, ...override } as CaracalOptions)).toThrow(TypeError)
    expect(() => withCaracal(ok, { ...base, ...override } as CaracalOptions)).toThrow(message)
  })

  test('a handler that is not a function', async () => {
    const { base } = await setup()
    expect(() => withCaracal('nope' as never, base)).toThrow(/first argument must be a fetch handler/)
  })
})

describe('issuer, zone and audience from the environment', () => {
  test('process.env supplies what the options leave out', async () => {
    const { base, req } = await setup()
    vi.stubEnv('CARACAL_STS_URL', base.issuer)
    vi.stubEnv('CARACAL_ZONE_ID', base.zoneId)
    vi.stubEnv('CARACAL_AUDIENCE', AUDIENCE)
    const h = withCaracal(ok, { revocations: base.revocations, fetch: base.fetch })
    expect((await h(await req())).status).toBe(200)
  })

  test('options win over process.env', async () => {
    const { base, req } = await setup()
    vi.stubEnv('CARACAL_ZONE_ID', 'zone-from-env')
    const h = withCaracal(ok, base)
    expect((await h(await req())).status).toBe(200)
  })

  test('Deno.env is read when process.env lacks the variable', async () => {
    const { base, req } = await setup()
    vi.stubGlobal('Deno', { env: { get: (name: string) => (name === 'CARACAL_ZONE_ID' ? base.zoneId : undefined) } })
    const h = withCaracal(ok, { ...base, zoneId: undefined } as CaracalOptions)
    expect((await h(await req())).status).toBe(200)
  })

  test('a Deno.env that throws (no --allow-env) is treated as unset', async () => {
    const { base } = await setup()
    vi.stubGlobal('Deno', {
      env: {
        get() {
          throw new Error('NotCapable: Requires env access')
        },
      },
    })
    expect(() => withCaracal(ok, { ...base, zoneId: undefined } as CaracalOptions)).toThrow(/no zoneId/)
  })

  test('the caller’s options object is not mutated and may be frozen', async () => {
    const { base, req } = await setup()
    const options = Object.freeze({
      ...base,
      routes: Object.freeze({ '/a': Object.freeze({ requiredScopes: ['s'] }) }),
    })
    const copy = JSON.stringify(options)
    const h = withCaracal(ok, options)
    expect((await h(await req())).status).toBe(200)
    expect(JSON.stringify(options)).toBe(copy)
  })
})

describe('a static jwks option', () => {
  test('a key that has the right shape but cannot be imported is a 500 server_misconfigured, and warmup() rejects', async () => {
    const { base, req } = await setup()
    let calls = 0
    const h = withCaracal(
      () => {
        calls++
        return ok()
      },
      { ...base, fetch: undefined, jwks: { keys: [{ kty: 'EC', crv: 'P-256', kid: 'k1', x: 'AAAA', y: 'AAAA' }] } },
    )
    await expect(h.warmup()).rejects.toMatchObject({ name: 'CaracalError', code: 'server_misconfigured' })
    const res = await h(await req())
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: string }).error).toBe('server_misconfigured')
    expect(calls).toBe(0)
  })

  test('the JWKS of the issuer works as a static set, with no fetch', async () => {
    const { base, dev, req } = await setup()
    const fetchSpy = vi.fn(base.fetch)
    const h = withCaracal(ok, { ...base, fetch: fetchSpy, jwks: dev.jwks })
    expect((await h(await req())).status).toBe(200)
    expect(fetchSpy).not.toHaveBeenCalled()
  })
})

describe('on Workers the env arrives with each request', () => {
  test('vars from the env argument are used; a missing one is a 500 (onError names the variable, the client gets the generic text), never a pass', async () => {
    const { base, req } = await setup()
    vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' })
    let calls = 0
    const reasons: string[] = []
    const h = withCaracal(
      () => {
        calls++
        return ok()
      },
      { revocations: base.revocations, fetch: base.fetch, onError: (e) => void reasons.push(e.reason) },
    )
    const env = { CARACAL_STS_URL: base.issuer, CARACAL_ZONE_ID: base.zoneId, CARACAL_AUDIENCE: AUDIENCE }
    expect((await h(await req(), env)).status).toBe(200)
    const res = await h(await req(), { CARACAL_STS_URL: base.issuer, CARACAL_AUDIENCE: AUDIENCE })
    expect(res.status).toBe(500)
    const body = (await res.json()) as { error: string; error_description: string }
    expect(body.error).toBe('server_misconfigured')
    expect(body.error_description).toBe('Mandate verification is not configured')
    expect(JSON.stringify(body)).not.toMatch(/CARACAL_ZONE_ID/)
    expect(reasons).toEqual([expect.stringMatching(/no zoneId; .*CARACAL_ZONE_ID/)])
    expect(calls).toBe(1)
  })

  test('an http issuer off loopback from env is a 500, not a fetch', async () => {
    const { base, req } = await setup()
    vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' })
    const reasons: string[] = []
    const h = withCaracal(ok, {
      revocations: base.revocations,
      fetch: base.fetch,
      audience: AUDIENCE,
      zoneId: base.zoneId,
      onError: (e) => void reasons.push(e.reason),
    })
    const res = await h(await req(), { CARACAL_STS_URL: 'http://sts.example.com' })
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: string }).error).toBe('server_misconfigured')
    expect(reasons).toEqual([expect.stringMatching(/CARACAL_STS_URL must use https/)])
  })

  test('revocations: (env) => store is called with the env; a factory that throws is a 500', async () => {
    const { base, req } = await setup()
    const store = new MemoryRevocationStore()
    store.markRevoked('sid-x')
    const seen: unknown[] = []
    const h = withCaracal(ok, {
      ...base,
      revocations: (env: { store: MemoryRevocationStore }) => {
        seen.push(env)
        return env.store
      },
    })
    const env = { store }
    expect((await h(await req(), env)).status).toBe(200)
    expect((await h(await req({ sid: 'sid-x' }), env)).status).toBe(401)
    expect(seen).toEqual([env, env])
    const broken = withCaracal(ok, {
      ...base,
      revocations: () => {
        throw new Error('no binding')
      },
    })
    expect((await broken(await req())).status).toBe(500)
  })
})

describe('diagnostics', () => {
  test('an onError hook that throws does not change the response', async () => {
    const { base } = await setup()
    const h = withCaracal(ok, {
      ...base,
      onError: () => {
        throw new Error('logger down')
      },
    })
    const res = await h(new Request('https://api.example/x'))
    expect(res.status).toBe(401)
  })

  test('an async onError hook that rejects does not change the response or leave an unhandled rejection', async () => {
    const { base } = await setup()
    const unhandled: unknown[] = []
    const listener = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', listener)
    try {
      let reports = 0
      const h = withCaracal(ok, {
        ...base,
        onError: async () => {
          reports++
          throw new Error('log sink down')
        },
      })
      const res = await h(new Request('https://api.example/x'))
      expect(res.status).toBe(401)
      expect(reports).toBe(1)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', listener)
    }
  })

  test('onError gets the cause of a store failure; the client gets no internals', async () => {
    const { base, req } = await setup()
    const errors: unknown[] = []
    const h = withCaracal(ok, {
      ...base,
      revocations: {
        isRevoked() {
          throw new Error('ECONNREFUSED 10.1.2.3:6379')
        },
      },
      onError: (e) => errors.push(e),
    })
    const res = await h(await req())
    expect(res.status).toBe(503)
    expect(await res.text()).not.toMatch(/ECONNREFUSED|10\.1\.2\.3/)
    expect(errors).toHaveLength(1)
    expect(String((errors[0] as Error).cause)).toMatch(/ECONNREFUSED/)
  })

  test('resourceMetadata is advertised in WWW-Authenticate', async () => {
    const { base } = await setup()
    const h = withCaracal(ok, { ...base, resourceMetadata: 'https://api.example/.well-known/oauth-protected-resource' })
    const res = await h(new Request('https://api.example/x'))
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://api.example/.well-known/oauth-protected-resource"',
    )
  })
})
