import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, test, vi } from 'vitest'
import { withCaracal, type CaracalError } from '../../../src/index.js'
import type { DevIssuer } from '../../../src/testing.js'
import { devZone } from '../../support/dev-zone.js'

const ok = () => new Response('ok')

async function setup(serve: (dev: DevIssuer) => Promise<Response> | Response) {
  const { dev, options, request } = await devZone()
  const errors: CaracalError[] = []
  const h = withCaracal(() => new Response('ok'), {
    ...options,
    fetch: async () => serve(dev),
    onError: (e) => errors.push(e),
  })
  const send = async () => h(await request())
  return { dev, errors, send }
}

describe('a kid that names several keys in the JWKS', () => {
  test('is refused invalid_token, whichever key comes last, and onError says the kid is ambiguous', async () => {
    const { errors, send } = await setup(async (dev) => {
      const other = await exportJWK((await generateKeyPair('ES256')).publicKey)
      // The genuine key last: a verifier where the last key wins would accept.
      const keys = [{ ...other, kid: dev.kid, alg: 'ES256', use: 'sig' }, ...dev.jwks.keys]
      return Response.json({ keys })
    })
    const res = await send()
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_token')
    expect(errors[0]?.reason).toMatch(/ambiguous/)
    expect(errors[0]?.reason).toMatch(/2 keys/)
  })

  test('the same key listed twice under one kid is ambiguous too (no key is picked among duplicates)', async () => {
    const { send } = await setup((dev) => Response.json({ keys: [...dev.jwks.keys, ...dev.jwks.keys] }))
    expect((await send()).status).toBe(401)
  })
})

describe('a JWKS endpoint that answers 400 or 404', () => {
  test.each([400, 404])(
    'HTTP %i: still 503, and the reason names the URL, the status and the likely cause',
    async (status) => {
      const { errors, send } = await setup(() => new Response('{"error":"unknown zone"}', { status }))
      const res = await send()
      expect(res.status).toBe(503)
      const reason = errors[0]?.reason ?? ''
      expect(reason).toContain('https://sts.example/.well-known/jwks.json?zone_id=zone-a')
      expect(reason).toContain(`HTTP ${status}`)
      expect(reason).toMatch(/`zoneId`/)
      expect(reason).toMatch(/`issuer`/)
      expect(reason).toMatch(/minted no mandate yet/)
    },
  )

  test('HTTP 500 names no zone cause', async () => {
    const { errors, send } = await setup(() => new Response('oops', { status: 500 }))
    expect((await send()).status).toBe(503)
    expect(errors[0]?.reason).toContain('HTTP 500')
    expect(errors[0]?.reason).not.toMatch(/minted no mandate/)
  })
})

describe('a static jwks option', () => {
  test('a key that has the right shape but cannot be imported is a 500 server_misconfigured, and warmup() rejects', async () => {
    const { options: base, request: req } = await devZone()
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
    const { options: base, dev, request: req } = await devZone()
    const fetchSpy = vi.fn(base.fetch)
    const h = withCaracal(ok, { ...base, fetch: fetchSpy, jwks: dev.jwks })
    expect((await h(await req())).status).toBe(200)
    expect(fetchSpy).not.toHaveBeenCalled()
  })
})
