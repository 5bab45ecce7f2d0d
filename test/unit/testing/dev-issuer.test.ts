import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryRevocationStore, withCaracal } from '../../../src/index.js'
import { createDevIssuer, type DevSts } from '../../../src/testing.js'

const AUDIENCE = 'resource://billing-api'

function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

/** A protected handler trusting `issuer`; with no `fetch`, it gets the JWKS over real HTTP. */
function protectedBy(issuer: { issuer: string; zoneId: string; fetch?: typeof fetch }, requiredScopes: string[] = []) {
  return withCaracal((request: Request) => new Response(`${request.method} ${new URL(request.url).pathname}`), {
    issuer: issuer.issuer,
    zoneId: issuer.zoneId,
    audience: AUDIENCE,
    revocations: new MemoryRevocationStore(),
    requiredScopes,
    ...(issuer.fetch === undefined ? {} : { fetch: issuer.fetch }),
  })
}

describe('createDevIssuer: loopback only unless told otherwise', () => {
  it.each([
    'http://127.0.0.1/dev-sts',
    'http://127.1.2.3:9',
    'http://localhost:8788',
    'http://[::1]:1',
    'https://sts.example',
    'https://a.test',
  ])('accepts %s', async (issuer) => {
    expect((await createDevIssuer({ issuer })).issuer).toBe(issuer)
  })

  it.each(['https://sts.caracal.io', 'http://10.0.0.1', 'http://0.0.0.0:80', 'https://example.com'])(
    'refuses %s, naming the risky switch',
    async (issuer) => {
      await expect(createDevIssuer({ issuer })).rejects.toThrow(
        /^createDevIssuer: issuer .* is not a loopback address; .*`dangerouslyAllowNonLoopback: true`/,
      )
    },
  )

  it('accepts a real name with dangerouslyAllowNonLoopback: true', async () => {
    const dev = await createDevIssuer({ issuer: 'https://sts.caracal.io', dangerouslyAllowNonLoopback: true })
    expect(payloadOf(await dev.mint()).iss).toBe('https://sts.caracal.io')
  })

  it('refuses a non-http issuer and unknown option keys with a TypeError', async () => {
    await expect(createDevIssuer({ issuer: 'file:///etc/passwd' })).rejects.toThrow(TypeError)
    await expect(createDevIssuer({ audiences: AUDIENCE } as never)).rejects.toThrow(
      'createDevIssuer: unknown option `audiences`; did you mean `audience`?',
    )
    const dev = await createDevIssuer()
    await expect(dev.mint({}, { expiresIN: 5 } as never)).rejects.toThrow('did you mean `expiresIn`?')
  })
})

describe('dev.request', () => {
  it('builds an authorised Request the protected handler accepts, scope list joined', async () => {
    const dev = await createDevIssuer({ issuer: 'https://sts.example', audience: AUDIENCE })
    const handler = protectedBy(dev, ['billing:read', 'billing:write'])
    const request = await dev.request('http://localhost/invoices', { scope: ['billing:read', 'billing:write'] })
    expect(request.headers.get('authorization')).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
    const response = await handler(request)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('GET /invoices')
  })

  it('a mandate without the required scope is refused with 403 insufficient_scope', async () => {
    const dev = await createDevIssuer({ audience: AUDIENCE })
    const response = await protectedBy(dev, ['billing:write'])(
      await dev.request('http://localhost/x', { scope: 'billing:read' }),
    )
    expect(response.status).toBe(403)
    expect(((await response.json()) as { error: string }).error).toBe('insufficient_scope')
  })

  it('keeps method, body and headers of init, and writes the claims and lifetime asked for', async () => {
    const dev = await createDevIssuer({ audience: AUDIENCE })
    const request = await dev.request(new URL('http://localhost/pay'), {
      sub: 'alice',
      agent_session_id: 'as-1',
      sid: undefined,
      expiresIn: 60,
      init: { method: 'POST', body: '{"amount":3}', headers: { 'content-type': 'application/json' } },
    })
    expect(request.method).toBe('POST')
    expect(await request.clone().text()).toBe('{"amount":3}')
    expect(request.headers.get('content-type')).toBe('application/json')
    const claims = payloadOf(request.headers.get('authorization')!.slice('Bearer '.length))
    expect(claims).toMatchObject({ sub: 'alice', agent_session_id: 'as-1', aud: [AUDIENCE] })
    expect('sid' in claims).toBe(false)
    expect((claims.exp as number) - (claims.iat as number)).toBe(60)
  })

  it('refuses a misspelt claim and an Authorization header of its own', async () => {
    const dev = await createDevIssuer()
    await expect(dev.request('http://localhost/', { scopes: 'a' } as never)).rejects.toThrow(
      'dev.request: unknown claim `scopes`; did you mean `scope`?',
    )
    await expect(
      dev.request('http://localhost/', { init: { headers: { Authorization: 'Bearer x' } } }),
    ).rejects.toThrow(/already has an Authorization header/)
  })
})

describe('dev.listen: the dev STS over loopback HTTP', () => {
  let sts: DevSts | undefined
  afterEach(async () => {
    await sts?.close()
    sts = undefined
  })

  it('serves the JWKS where the verifier fetches it, so a server with no fetch option verifies', async () => {
    const dev = await createDevIssuer({ audience: AUDIENCE })
    sts = await dev.listen()
    expect(sts.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(sts.jwksUrl).toBe(`${sts.issuer}/.well-known/jwks.json?zone_id=zone-dev`)
    const jwks = await fetch(sts.jwksUrl)
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate')
    expect(((await jwks.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual([dev.kid])
    expect((await fetch(`${sts.issuer}/.well-known/jwks.json`)).status).toBe(400)
    expect((await fetch(`${sts.issuer}/.well-known/jwks.json?zone_id=other`)).status).toBe(400)

    const response = await protectedBy(sts, ['billing:read'])(
      await sts.request('http://localhost/invoices', { scope: 'billing:read' }),
    )
    expect(response.status).toBe(200)
    expect(sts.jwksRequests).toBe(4)
  })

  it('shares keys with the issuer it came from: a rotation shows in the served JWKS', async () => {
    const dev = await createDevIssuer()
    sts = await dev.listen()
    const before = dev.kid
    await dev.rotate()
    expect(sts.kid).toBe(dev.kid)
    const served = (await (await fetch(sts.jwksUrl)).json()) as { keys: { kid: string }[] }
    expect(served.keys.map((k) => k.kid)).toEqual([dev.kid, before])
  })

  it('POST /mint answers { access_token } that the protected handler accepts', async () => {
    sts = await (await createDevIssuer({ audience: AUDIENCE })).listen()
    const minted = await fetch(`${sts.mintUrl}?expires_in=120`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope: ['billing:read'], sub: 'bob' }),
    })
    expect(minted.status).toBe(200)
    expect(minted.headers.get('cache-control')).toBe('no-store')
    const body = (await minted.json()) as { access_token: string; token_type: string; expires_in: number }
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120 })
    expect(payloadOf(body.access_token)).toMatchObject({ iss: sts.issuer, sub: 'bob', scope: 'billing:read' })
    const response = await protectedBy(sts, ['billing:read'])(
      new Request('http://localhost/', { headers: { authorization: `Bearer ${body.access_token}` } }),
    )
    expect(response.status).toBe(200)
  })

  it.each([
    ['GET', 'application/json', '{}', '', 405, 'use POST'],
    ['POST', 'text/plain', '{}', '', 415, 'content-type: application/json'],
    ['POST', 'application/json', '{', '', 400, 'not JSON'],
    ['POST', 'application/json', '[1]', '', 400, 'JSON object of claims'],
    ['POST', 'application/json', '{"scopes":"a"}', '', 400, 'unknown claim `scopes`; did you mean `scope`?'],
    ['POST', 'application/json', '{}', '?expires_in=0', 400, 'expires_in must be whole seconds'],
    ['POST', 'application/json', '{}', '?expires_in=1.5', 400, 'expires_in must be whole seconds'],
  ])(
    'a %s %s %s%s to /mint is refused with %i and a JSON reason',
    async (method, type, body, query, status, reason) => {
      sts = await (await createDevIssuer()).listen()
      const response = await fetch(`${sts.mintUrl}${query}`, {
        method,
        headers: { 'content-type': type },
        ...(method === 'GET' ? {} : { body }),
      })
      expect(response.status).toBe(status)
      expect(((await response.json()) as { error_description: string }).error_description).toContain(reason)
    },
  )

  it('refuses to mint for a request whose Host is not loopback (DNS rebinding), and answers 404 elsewhere', async () => {
    sts = await (await createDevIssuer()).listen()
    const { port } = new URL(sts.issuer)
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/mint',
          method: 'POST',
          headers: { host: `attacker.example:${port}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
      req.on('error', reject)
      req.end('{}')
    })
    expect(status).toBe(403)
    expect((await fetch(`${sts.issuer}/elsewhere`)).status).toBe(404)
  })

  it('refuses a non-loopback hostname, a bad port and unknown keys; reports a port in use', async () => {
    const dev = await createDevIssuer()
    await expect(dev.listen({ hostname: '0.0.0.0' })).rejects.toThrow(
      /^dev\.listen: hostname 0\.0\.0\.0 is not a loopback address; .*dangerouslyAllowNonLoopback/,
    )
    await expect(dev.listen({ port: 70000 })).rejects.toThrow('dev.listen: port must be an integer from 0 to 65535')
    await expect(dev.listen({ prot: 1 } as never)).rejects.toThrow(
      'dev.listen: unknown option `prot`; did you mean `port`?',
    )
    sts = await dev.listen()
    await expect(dev.listen({ port: Number(new URL(sts.issuer).port) })).rejects.toThrow(
      /^dev\.listen: cannot listen on 127\.0\.0\.1:\d+: /,
    )
  })

  it('close() stops the server', async () => {
    const served = await (await createDevIssuer()).listen()
    await served.close()
    await expect(fetch(served.jwksUrl)).rejects.toThrow()
  })
})
