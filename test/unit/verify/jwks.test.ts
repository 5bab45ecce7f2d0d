import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalError } from '../../../src/index.js'
import { createDevIssuer } from '../../../src/testing.js'

const AUDIENCE = 'resource://billing-api'

async function setup(serve: (dev: Awaited<ReturnType<typeof createDevIssuer>>) => Promise<Response> | Response) {
  const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
  const errors: CaracalError[] = []
  const h = withCaracal(() => new Response('ok'), {
    audience: AUDIENCE,
    issuer: dev.issuer,
    zoneId: dev.zoneId,
    fetch: async () => serve(dev),
    revocations: new MemoryRevocationStore(),
    onError: (e) => errors.push(e),
  })
  const send = async () =>
    h(new Request('https://api.example/x', { headers: { authorization: `Bearer ${await dev.mint()}` } }))
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
