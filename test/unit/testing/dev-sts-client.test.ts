import { afterEach, describe, expect, it } from 'vitest'
import { MemoryRevocationStore, withCaracal } from '../../../src/index.js'
import { connectDevSts, createDevIssuer, type DevSts } from '../../../src/testing.js'

describe('connectDevSts: minting from a dev STS elsewhere', () => {
  let sts: DevSts | undefined
  afterEach(async () => {
    await sts?.close()
    sts = undefined
  })

  it('request() carries a mandate from the dev STS that a handler trusting it accepts', async () => {
    sts = await (await createDevIssuer({ audience: 'resource://a' })).listen()
    const client = connectDevSts(sts.issuer)
    expect(client.issuer).toBe(sts.issuer)
    const handler = withCaracal(() => new Response('ok'), {
      issuer: sts.issuer,
      zoneId: sts.zoneId,
      audience: 'resource://a',
      revocations: new MemoryRevocationStore(),
      requiredScopes: ['a:read', 'a:write'],
    })
    const request = await client.request('http://localhost/x', {
      scope: ['a:read', 'a:write'],
      expiresIn: 30,
      init: { method: 'DELETE' },
    })
    expect(request.method).toBe('DELETE')
    expect((await handler(request)).status).toBe(200)
    const token = await client.mint({ scope: 'a:read' })
    const refused = await handler(new Request('http://localhost/x', { headers: { authorization: `Bearer ${token}` } }))
    expect(refused.status).toBe(403)
  })

  it('refuses a non-loopback URL, unknown keys and misspelt claims before sending anything', async () => {
    expect(() => connectDevSts('https://sts.caracal.io')).toThrow(/is not a loopback address/)
    expect(() => connectDevSts('http://127.0.0.1:1', { fecth: fetch } as never)).toThrow('did you mean `fetch`?')
    let sent = 0
    const client = connectDevSts('http://127.0.0.1:1', {
      fetch: async () => {
        sent++
        return new Response('{}')
      },
    })
    await expect(client.mint({ scopes: 'a' } as never)).rejects.toThrow('unknown claim `scopes`; did you mean `scope`?')
    expect(sent).toBe(0)
  })

  it('names an unreachable dev STS and relays a refusal', async () => {
    await expect(connectDevSts('http://127.0.0.1:1').mint()).rejects.toThrow(
      /^no dev STS answers at http:\/\/127\.0\.0\.1:1 /,
    )
    sts = await (await createDevIssuer()).listen()
    await expect(connectDevSts(sts.issuer).mint({}, { expiresIn: -5 })).rejects.toThrow(
      /refused: expires_in must be whole seconds/,
    )
  })
})
