/**
 * A served `resourceMetadata`: the RFC 9728 document at the well-known and path-aware URLs, with no
 * verification, and its URL in every challenge; per request on Workers, from the request's identity.
 */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'

const AUDIENCE = 'https://mcp.example.com/mcp'
afterEach(() => vi.unstubAllGlobals())

async function setup(extra: Partial<CaracalOptions> = {}) {
  const { dev, options: trusted } = await devZone({ audience: AUDIENCE })
  const ran: string[] = []
  const options: CaracalOptions = {
    ...trusted,
    ...extra,
  }
  const handler = withCaracal((request: Request) => {
    ran.push(new URL(request.url).pathname)
    return new Response('handler')
  }, options)
  return { dev, handler, ran }
}

describe('the served document', () => {
  test('GET on the path-aware and the plain well-known URL: the document, public, cacheable, any origin; no handler, no token', async () => {
    const { handler, ran } = await setup({
      requiredScopes: ['mcp:tools'],
      routes: { '/mcp/admin': { requiredScopes: ['mcp:admin'] } },
      resourceMetadata: { resourceName: 'Billing MCP', resourceDocumentation: 'https://docs.example.com/mcp' },
    })
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const response = await handler(new Request(`https://mcp.example.com${path}`))
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/json')
      expect(response.headers.get('access-control-allow-origin')).toBe('*')
      expect(response.headers.get('cache-control')).toBe('public, max-age=3600')
      expect(await response.json()).toEqual({
        resource: AUDIENCE,
        authorization_servers: ['https://sts.example'],
        scopes_supported: ['mcp:tools', 'mcp:admin'],
        bearer_methods_supported: ['header'],
        resource_name: 'Billing MCP',
        resource_documentation: 'https://docs.example.com/mcp',
      })
    }
    expect(ran).toEqual([])
  })

  test('HEAD: the headers without a body; other methods and other paths under it are verified as usual', async () => {
    const { handler, ran } = await setup({ resourceMetadata: {}, allowPreflight: false })
    const head = await handler(
      new Request(`https://mcp.example.com/.well-known/oauth-protected-resource/mcp`, { method: 'HEAD' }),
    )
    expect(head.status).toBe(200)
    expect(head.headers.get('access-control-allow-origin')).toBe('*')
    expect(await head.text()).toBe('')
    const post = await handler(
      new Request(`https://mcp.example.com/.well-known/oauth-protected-resource/mcp`, { method: 'POST' }),
    )
    expect(post.status).toBe(401)
    const other = await handler(new Request(`https://mcp.example.com/.well-known/oauth-protected-resource/other`))
    expect(other.status).toBe(401)
    expect(ran).toEqual([])
  })

  test('given fields win over the defaults; an unknown key, a bad URL or a bad cache lifetime is a TypeError', async () => {
    const { handler } = await setup({
      resourceMetadata: {
        authorizationServers: ['https://as.example.com'],
        scopesSupported: ['a', 'b'],
        maxAgeSeconds: 60,
      },
    })
    const response = await handler(new Request('https://mcp.example.com/.well-known/oauth-protected-resource/mcp'))
    expect(response.headers.get('cache-control')).toBe('public, max-age=60')
    expect(await response.json()).toEqual({
      resource: AUDIENCE,
      authorization_servers: ['https://as.example.com'],
      scopes_supported: ['a', 'b'],
      bearer_methods_supported: ['header'],
    })
    await expect(setup({ resourceMetadata: { resourceNme: 'x' } as never })).rejects.toThrow(
      /withCaracal: resourceMetadata: unknown option `resourceNme`; did you mean `resourceName`\?/,
    )
    await expect(setup({ resourceMetadata: { authorizationServers: ['http://as.example.com'] } })).rejects.toThrow(
      /`authorizationServers` "http:\/\/as.example.com" must use https:/,
    )
    await expect(setup({ resourceMetadata: { authorizationServers: [] } })).rejects.toThrow(/non-empty array/)
    await expect(setup({ resourceMetadata: { scopesSupported: ['a b'] } })).rejects.toThrow(
      /non-empty array|whitespace/,
    )
    await expect(setup({ resourceMetadata: { maxAgeSeconds: -1 } })).rejects.toThrow(
      /`maxAgeSeconds` must be an integer >= 0/,
    )
    await expect(setup({ resourceMetadata: { resourceName: '' } })).rejects.toThrow(
      /`resourceName` must be a non-empty string/,
    )
  })

  test("an audience that is not an https URL cannot be the document's resource: TypeError at construction", async () => {
    await expect(setup({ audience: 'resource://billing', resourceMetadata: {} })).rejects.toThrow(
      /withCaracal: a served `resourceMetadata` needs the audience to be the resource's URL; audience "resource:\/\/billing" must use https:/,
    )
    await expect(setup({ audience: 'https://mcp.example.com/mcp?x=1', resourceMetadata: {} })).rejects.toThrow(
      /must have no query or fragment/,
    )
  })

  test('an audience at the root: the path-aware URL is the plain well-known one', async () => {
    const { handler } = await setup({ audience: 'https://api.example.com', resourceMetadata: {} })
    const refused = await handler(new Request('https://api.example.com/x'))
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"',
    )
  })
})

describe('challenges advertise the served URL', () => {
  test('401 and 403 name the path-aware URL on the audience origin, and the 401 the scopes needed', async () => {
    const { dev, handler } = await setup({ requiredScopes: ['mcp:tools'], resourceMetadata: {} })
    const metadata = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
    const missing = await handler(new Request('https://mcp.example.com/mcp', { method: 'POST' }))
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer scope="mcp:tools", resource_metadata="${metadata}"`)
    const token = await dev.mint({ scope: 'other' })
    const refused = await handler(
      new Request('https://mcp.example.com/mcp', { headers: { authorization: `Bearer ${token}` } }),
    )
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="Missing scope: mcp:tools", scope="mcp:tools", resource_metadata="${metadata}"`,
    )
  })
})

describe('on Workers, from the request env', () => {
  test('the document and the challenge are built from the identity each request resolves', async () => {
    vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' })
    const { dev } = await devZone({ audience: AUDIENCE })
    const handler = withCaracal((_request: Request, _env: unknown) => new Response('handler'), {
      fetch: dev.fetch,
      revocations: new MemoryRevocationStore(),
      resourceMetadata: { resourceName: 'per env' },
    })
    const env = (audience: string) => ({
      CARACAL_STS_URL: 'https://sts.example',
      CARACAL_ZONE_ID: 'zone-a',
      CARACAL_AUDIENCE: audience,
    })
    const a = await handler(
      new Request('https://a.example/.well-known/oauth-protected-resource/a'),
      env('https://a.example/a'),
    )
    expect(await a.json()).toMatchObject({
      resource: 'https://a.example/a',
      authorization_servers: ['https://sts.example'],
    })
    const b = await handler(new Request('https://b.example/b'), env('https://b.example/b'))
    expect(b.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://b.example/.well-known/oauth-protected-resource/b"',
    )
    // An audience from env that cannot be a resource URL: 500, the handler does not run.
    const bad = await handler(
      new Request('https://c.example/.well-known/oauth-protected-resource'),
      env('resource://c'),
    )
    expect(bad.status).toBe(500)
    expect(await bad.json()).toMatchObject({ error: 'server_misconfigured' })
  })
})

describe('through the Hono middleware', () => {
  test('caracal() serves the document and advertises it, as withCaracal does', async () => {
    const { Hono } = await import('hono')
    const { caracal } = await import('../../../src/hono.js')
    const { options } = await devZone({ audience: AUDIENCE })
    const app = new Hono()
    app.use(
      '*',
      caracal({
        ...options,
        requiredScopes: ['mcp:tools'],
        resourceMetadata: { resourceName: 'Hono MCP' },
      }),
    )
    app.all('*', (c) => c.text('handler'))
    const document = await app.request('https://mcp.example.com/.well-known/oauth-protected-resource/mcp')
    expect(document.headers.get('access-control-allow-origin')).toBe('*')
    expect(await document.json()).toMatchObject({ resource: AUDIENCE, resource_name: 'Hono MCP' })
    const refused = await app.request('https://mcp.example.com/mcp', { method: 'POST' })
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer scope="mcp:tools", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
    )
  })
})
