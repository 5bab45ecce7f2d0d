/**
 * edge-examples/mcp-worker under `wrangler dev` (real workerd), started with
 * `npm run example:mcp-worker` through the shared smoke harness, driven by the official MCP SDK
 * client: a valid mandate gets a working MCP session, a missing one 401, and the per-tool
 * requirement of `admin_reset` a 403 that names every scope the call needs; the RFC 9728 document
 * is served by the wrapper, built from the Worker's vars per request.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startExample, startSmokeInfra, type RunningExample, type SmokeInfra } from './harness.js'

const AUDIENCE = 'https://mcp.example.com/mcp'
const METADATA = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'

describe('edge-examples/mcp-worker (npm run example:mcp-worker)', () => {
  let infra: SmokeInfra
  let example: RunningExample

  beforeAll(async () => {
    infra = await startSmokeInfra()
    // The served document's `resource` is the audience, so it must be the resource's URL.
    example = await startExample(
      'mcp-worker',
      { ...infra.env, CARACAL_AUDIENCE: AUDIENCE },
      { readyTimeoutMs: 120_000 },
    )
  }, 150_000)
  afterAll(async () => {
    await example?.stop()
    await infra?.close()
  }, 30_000)

  async function connect(scope: string): Promise<Client> {
    const token = await infra.dev.mint({ sub: 'agent-smoke', scope, aud: [AUDIENCE] })
    const transport = new StreamableHTTPClientTransport(new URL(`${example.origin}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    })
    const client = new Client({ name: 'smoke', version: '1.0.0' })
    await client.connect(transport)
    return client
  }

  test('a valid mandate: the SDK client lists the tools and calls one that reads the mandate', async () => {
    const client = await connect('mcp:tools')
    try {
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name).sort()).toEqual(['admin_reset', 'echo', 'whoami'])
      const result = await client.callTool({ name: 'whoami', arguments: {} })
      expect(result.content).toEqual([
        { type: 'text', text: JSON.stringify({ sub: 'agent-smoke', scopes: ['mcp:tools'] }) },
      ])
    } finally {
      await client.close()
    }
  })

  test('no mandate: 401 missing_token, and the MCP server never runs', async () => {
    const res = await fetch(`${example.origin}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer scope="mcp:tools", resource_metadata="${METADATA}"`)
    expect(await res.json()).toMatchObject({ error: 'missing_token' })
  })

  test('admin_reset without mcp:admin: 403 naming mcp:tools and mcp:admin; with it, the tool runs', async () => {
    const client = await connect('mcp:tools')
    try {
      await expect(client.callTool({ name: 'admin_reset', arguments: {} })).rejects.toMatchObject({ code: 403 })
    } finally {
      await client.close()
    }
    const token = await infra.dev.mint({ scope: 'mcp:tools', aud: [AUDIENCE] })
    const refused = await fetch(`${example.origin}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin_reset' } }),
    })
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="Missing scope: mcp:admin", scope="mcp:tools mcp:admin", resource_metadata="${METADATA}"`,
    )
    const admin = await connect('mcp:tools mcp:admin')
    try {
      const result = await admin.callTool({ name: 'admin_reset', arguments: {} })
      expect(result.content).toEqual([{ type: 'text', text: 'reset by agent-smoke' }])
    } finally {
      await admin.close()
    }
  })

  test('a mandate without the route scope mcp:tools: 403 before any MCP message is handled', async () => {
    await expect(connect('other:scope')).rejects.toMatchObject({ code: 403 })
  })

  test('the RFC 9728 document, served unverified from the Worker vars', async () => {
    const res = await fetch(`${example.origin}/.well-known/oauth-protected-resource/mcp`)
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(await res.json()).toEqual({
      resource: AUDIENCE,
      authorization_servers: [infra.env['CARACAL_STS_URL']],
      scopes_supported: ['mcp:tools', 'mcp:admin'],
      bearer_methods_supported: ['header'],
      resource_name: 'Caracal MCP Worker',
    })
  })
})
