/**
 * The per-tool check on the route's requirements, through `withMcpCaracal` and Hono's `mcpTools()`:
 * the 403 names the scopes of the request's route (a `routes` entry included) and of its tools.
 */
import { describe, expect, test } from 'vitest'
import { Hono } from 'hono'
import { withMcpCaracal } from '../../../src/mcp.js'
import { caracal, mcpTools, type CaracalEnv } from '../../../src/hono.js'
import { devZone } from '../../support/dev-zone.js'

const { dev, options: base } = await devZone({ audience: 'https://mcp.example/mcp' })
const tools = { admin_reset: { requiredScopes: ['mcp:admin'] } }
const callTool = (name: string) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } })

const post = (token: string, body: unknown, path = '/mcp') =>
  new Request(`https://mcp.example${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('withMcpCaracal', () => {
  test("a routes entry's scopes are in the tool's 403 with the top-level and the tool's", async () => {
    const reached: string[] = []
    const handler = withMcpCaracal(
      async (request: Request) => (reached.push(await request.text()), new Response('handled')),
      { ...base, requiredScopes: ['mcp:base'], routes: { '/mcp': { requiredScopes: ['mcp:tools'] } }, tools },
    )
    const token = await dev.mint({ scope: 'mcp:tools' })
    const refused = await handler(post(token, callTool('admin_reset')))
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="Missing scope: mcp:admin", scope="mcp:tools mcp:admin"',
    )
    // Under the defaults (another path) the route's scope is the top-level one.
    const other = await handler(post(await dev.mint({ scope: 'mcp:base' }), callTool('admin_reset'), '/other'))
    expect(other.headers.get('www-authenticate')).toContain('scope="mcp:base mcp:admin"')
    expect(reached).toEqual([])
    const allowed = await handler(post(await dev.mint({ scope: 'mcp:tools mcp:admin' }), callTool('admin_reset')))
    expect(allowed.status).toBe(200)
  })

  test('construction errors say withMcpCaracal, for its own options and for those of withCaracal', () => {
    expect(() => withMcpCaracal(() => new Response(), { ...base, requiredScope: ['x'] } as never)).toThrow(
      /^withMcpCaracal: unknown option `requiredScope`; did you mean `requiredScopes`\?/,
    )
    expect(() => withMcpCaracal(() => new Response(), { ...base, issuer: 'http://sts.example' })).toThrow(
      /^withMcpCaracal: issuer/,
    )
    expect(() =>
      withMcpCaracal(() => new Response(), { ...base, tools: { x: { requiredScope: [] } } as never }),
    ).toThrow(/^withMcpCaracal: tools\["x"\]: unknown option `requiredScope`/)
  })

  test("a served document's default scopes_supported adds the tools' scopes to the routes'", async () => {
    const handler = withMcpCaracal(() => new Response(), {
      ...base,
      requiredScopes: ['mcp:tools'],
      tools,
      resourceMetadata: {},
    })
    const response = await handler(new Request('https://mcp.example/.well-known/oauth-protected-resource/mcp'))
    expect(await response.json()).toMatchObject({ scopes_supported: ['mcp:tools', 'mcp:admin'] })
    const missing = await handler(new Request('https://mcp.example/mcp', { method: 'POST' }))
    expect(missing.headers.get('www-authenticate')).toBe(
      'Bearer scope="mcp:tools", resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"',
    )
  })
})

describe('Hono mcpTools()', () => {
  function app(options: { routeScopes?: string[] } = {}) {
    const reached: string[] = []
    const errors: string[] = []
    const app = new Hono<CaracalEnv>()
    app.use(
      '*',
      caracal({
        ...base,
        requiredScopes: options.routeScopes ?? ['mcp:tools'],
        onError: (e) => void errors.push(e.code),
      }),
    )
    app.post('/mcp', mcpTools({ tools }), async (c) => {
      reached.push(`${c.var.caracal.sub}:${await c.req.text()}`)
      return c.text('handled')
    })
    return { app, reached, errors }
  }

  test("a tool the mandate misses: 403 naming route and tool scopes, reported to caracal()'s onError; the handler never runs", async () => {
    const { app: a, reached, errors } = app()
    const token = await dev.mint({ scope: 'mcp:tools' })
    const refused = await a.request(post(token, callTool('admin_reset')))
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="Missing scope: mcp:admin", scope="mcp:tools mcp:admin"',
    )
    expect(errors).toEqual(['insufficient_scope'])
    expect(reached).toEqual([])
  })

  test('an allowed call and a call of another tool reach the handler, body unread', async () => {
    const { app: a, reached } = app()
    const body = callTool('echo')
    const response = await a.request(post(await dev.mint({ scope: 'mcp:tools', sub: 'agent-7' }), body))
    expect(response.status).toBe(200)
    expect(reached).toEqual([`agent-7:${JSON.stringify(body)}`])
    const admin = await a.request(post(await dev.mint({ scope: 'mcp:tools mcp:admin' }), callTool('admin_reset')))
    expect(admin.status).toBe(200)
  })

  test('over the body bound: 413', async () => {
    const a = new Hono<CaracalEnv>()
    a.use('*', caracal(base))
    a.post('/mcp', mcpTools({ tools, maxBodyBytes: 64 }), (c) => c.text('handled'))
    const response = await a.request(post(await dev.mint(), { ...callTool('echo'), padding: 'x'.repeat(100) }))
    expect(response.status).toBe(413)
  })

  test('without caracal() before it: 500 server_misconfigured, the route stays closed', async () => {
    const a = new Hono()
    a.post('/mcp', mcpTools({ tools }), (c) => c.text('handled'))
    const response = await a.request(post('x', callTool('echo')))
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ error: 'server_misconfigured' })
  })

  test('options are validated once: unknown keys, no tools, bad bound', () => {
    expect(() => mcpTools({ tool: tools } as never)).toThrow(/^mcpTools: unknown option `tool`; did you mean `tools`\?/)
    expect(() => mcpTools({})).toThrow(/^mcpTools: `tools` names no tool/)
    expect(() => mcpTools({ tools, maxBodyBytes: 0 })).toThrow(/^mcpTools: `maxBodyBytes` must be a positive integer/)
    expect(() => mcpTools({ tools: { x: { requiredScope: [] } } as never })).toThrow(
      /^mcpTools: tools\["x"\]: unknown option/,
    )
  })
})
