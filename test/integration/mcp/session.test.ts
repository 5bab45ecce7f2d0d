/**
 * The official MCP SDK client against an SDK server behind today's withCaracal, over loopback HTTP:
 * discovery from the 401, a whole session (initialize, GET SSE, tools/call, DELETE), a route's 403
 * and a revocation that ends the session on its next request.
 */
import { expect, test } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { withCaracal } from 'caracal-fetch'
import {
  WHOLE_SESSION,
  discoveringClient,
  finishSession,
  harnessPerTest,
  sessionLog,
  type McpHarness,
  type SdkClient,
  type Wrap,
} from './harness.js'

const startMcpHarness = harnessPerTest()

const plain: Wrap = (handler, options) => withCaracal(handler, options)

/** An SDK client whose every request carries `Authorization: Bearer <current()>`. */
function clientWith(h: McpHarness, current: () => string): SdkClient {
  const transport = new StreamableHTTPClientTransport(h.mcpUrl, {
    fetch: (input, init) => {
      const headers = new Headers(init?.headers)
      headers.set('authorization', `Bearer ${current()}`)
      return fetch(input, { ...init, headers })
    },
  })
  return { client: new Client({ name: 'caracal-test-client', version: '1.0.0' }), transport }
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
}

test('without a token: 401 whose challenge points at the resource metadata, and the SDK client discovers from it', async () => {
  const h = await startMcpHarness(plain)
  const refused = await fetch(h.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(initialize),
  })
  expect(refused.status).toBe(401)
  expect(refused.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${h.metadataUrl}"`)
  expect(await refused.json()).toMatchObject({ error: 'missing_token' })

  // The SDK client with an OAuth provider and no token yet: 401 -> metadata -> token -> session.
  const { client, transport } = discoveringClient(h, 'mcp:tools')
  await client.connect(transport)
  const result = await client.callTool({ name: 'echo', arguments: { text: 'discovered' } })
  expect(result.content).toEqual([{ type: 'text', text: 'discovered' }])
  // A client_credentials provider asks for its own configured scope.
  expect(h.tokenScopes).toEqual(['mcp:tools'])
  expect(h.exchanges[1]).toMatchObject({ method: 'POST', jsonRpcMethod: 'initialize', status: 401 })
  await client.close()
})

test('a whole session with a valid mandate: initialize POST, GET SSE, tools/call, DELETE', async () => {
  const h = await startMcpHarness(plain)
  const token = await h.mint({ sub: 'agent-42' })
  const session = clientWith(h, () => token)
  await session.client.connect(session.transport)
  expect(session.transport.sessionId).toMatch(/^[0-9a-f-]{36}$/)
  expect(await finishSession(h, session, { name: 'echo', arguments: { text: 'hello' } })).toEqual([
    { type: 'text', text: 'hello' },
  ])
  expect(sessionLog(h)).toEqual(WHOLE_SESSION)
  expect(h.exchanges.find((e) => e.method === 'GET')?.contentType).toBe('text/event-stream')
  expect(h.toolRuns.every((run) => run === 'handler:agent-42')).toBe(true)
})

test('a route requirement the mandate misses: 403 insufficient_scope naming the scope, the handler never runs', async () => {
  const h = await startMcpHarness((handler, options) =>
    withCaracal(handler, { ...options, routes: { '/mcp': { requiredScopes: ['mcp:tools'] } } }),
  )
  const token = await h.mint({ scope: 'other:scope' })
  const { client, transport } = clientWith(h, () => token)
  await expect(client.connect(transport)).rejects.toMatchObject({ code: 403 })
  expect(h.exchanges).toHaveLength(1)
  expect(h.exchanges[0]).toMatchObject({ method: 'POST', jsonRpcMethod: 'initialize', status: 403 })
  expect(h.exchanges[0]!.challenge).toBe(
    `Bearer error="insufficient_scope", error_description="Missing scope: mcp:tools", scope="mcp:tools", resource_metadata="${h.metadataUrl}"`,
  )
  expect(h.toolRuns).toEqual([])
})

test('revocation mid-session: the next request of the session gets 401 session_revoked', async () => {
  const h = await startMcpHarness(plain)
  const token = await h.mint({ sid: 'sid-mid-session' })
  const { client, transport } = clientWith(h, () => token)
  await client.connect(transport)
  expect((await client.callTool({ name: 'echo', arguments: { text: 'before' } })).content).toEqual([
    { type: 'text', text: 'before' },
  ])

  h.revocations.markRevoked('sid-mid-session')
  const runsBefore = h.toolRuns.length
  await expect(client.callTool({ name: 'echo', arguments: { text: 'after' } })).rejects.toMatchObject({ code: 401 })
  const last = h.exchanges.at(-1)!
  expect(last).toMatchObject({ method: 'POST', jsonRpcMethod: 'tools/call', status: 401 })
  expect(last.challenge).toContain('error="session_revoked"')
  expect(h.toolRuns.length).toBe(runsBefore)
  await client.close()
})
