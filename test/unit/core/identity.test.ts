/**
 * Where the issuer, the zone and the audience come from: the options, else process.env or Deno.env at
 * construction, else the Workers env with each request; and what a gap or a bad value there does.
 */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'
import { AUDIENCE } from '../../support/fixture.js'

const ok = () => new Response('ok')

afterEach(() => {
  vi.unstubAllEnvs()
  vi.unstubAllGlobals()
})

describe('issuer, zone and audience from the environment', () => {
  test('process.env supplies what the options leave out', async () => {
    const { options: base, request: req } = await devZone()
    vi.stubEnv('CARACAL_STS_URL', base.issuer)
    vi.stubEnv('CARACAL_ZONE_ID', base.zoneId)
    vi.stubEnv('CARACAL_AUDIENCE', AUDIENCE)
    const h = withCaracal(ok, { revocations: base.revocations, fetch: base.fetch })
    expect((await h(await req())).status).toBe(200)
  })

  test('options win over process.env', async () => {
    const { options: base, request: req } = await devZone()
    vi.stubEnv('CARACAL_ZONE_ID', 'zone-from-env')
    const h = withCaracal(ok, base)
    expect((await h(await req())).status).toBe(200)
  })

  test('Deno.env is read when process.env lacks the variable', async () => {
    const { options: base, request: req } = await devZone()
    vi.stubGlobal('Deno', { env: { get: (name: string) => (name === 'CARACAL_ZONE_ID' ? base.zoneId : undefined) } })
    const h = withCaracal(ok, { ...base, zoneId: undefined } as CaracalOptions)
    expect((await h(await req())).status).toBe(200)
  })

  test('a Deno.env that throws (no --allow-env) is treated as unset', async () => {
    const { options: base } = await devZone()
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
    const { options: base, request: req } = await devZone()
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

describe('on Workers the env arrives with each request', () => {
  test('vars from the env argument are used; a missing one is a 500 (onError names the variable, the client gets the generic text), never a pass', async () => {
    const { options: base, request: req } = await devZone()
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
    const { options: base, request: req } = await devZone()
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
    const { options: base, request: req } = await devZone()
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

describe('where issuer, zone and audience come from, in order', () => {
  test('on Workers the per-request env wins over process.env; options win over both', async () => {
    const s = await devZone()
    vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' })
    vi.stubEnv('CARACAL_ZONE_ID', 'zone-from-process-env')
    const fromEnv = withCaracal(() => new Response('ok'), { ...s.options, zoneId: undefined } as CaracalOptions)
    expect((await fromEnv(await s.request(), { CARACAL_ZONE_ID: 'zone-a' })).status).toBe(200)
    const other = await fromEnv(await s.request(), { CARACAL_ZONE_ID: 'zone-b' })
    // zone-b's keys are asked for (the dev STS has none: 404), so the zone really came from this env.
    expect(other.status).toBe(503)
    const fromOptions = withCaracal(() => new Response('ok'), s.options)
    expect((await fromOptions(await s.request(), { CARACAL_ZONE_ID: 'zone-b' })).status).toBe(200)
  })

  test('process.env wins over Deno.env', async () => {
    const s = await devZone()
    vi.stubEnv('CARACAL_ZONE_ID', 'zone-a')
    vi.stubGlobal('Deno', { env: { get: () => 'zone-from-deno' } })
    const h = withCaracal(() => new Response('ok'), { ...s.options, zoneId: undefined } as CaracalOptions)
    expect((await h(await s.request())).status).toBe(200)
  })
})
