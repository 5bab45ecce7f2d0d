/**
 * withMcpCaracal with the official MCP SDK on both ends, over loopback HTTP: per-tool 403, the SDK
 * client's step-up to the challenged scopes, a whole session through the body inspection, the
 * 413 bound, and bodies that are not JSON-RPC reaching the MCP server unchanged.
 */
import { expect, test } from 'vitest'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { withMcpCaracal, type McpCaracalOptions } from 'caracal-fetch/mcp'
import { steppingUpClient } from './auto-approving-provider.js'
import { WHOLE_SESSION, clientWithToken, finishSession, harnessPerTest, sessionLog, type Wrap } from './harness.js'

const startMcpHarness = harnessPerTest()

const TOOLS: McpCaracalOptions['tools'] = { admin_reset: { requiredScopes: ['mcp:admin'] } }
const mcp =
  (extra: Partial<McpCaracalOptions> = {}): Wrap =>
  (handler, options) =>
    withMcpCaracal(handler, { ...options, requiredScopes: ['mcp:tools'], tools: TOOLS, ...extra })

test('a tool whose requirement the mandate misses: 403 naming the route and tool scopes, the tool never runs', async () => {
  const h = await startMcpHarness(mcp())
  const { client, transport } = clientWithToken(h, await h.mint({ scope: 'mcp:tools' }))
  await client.connect(transport)
  expect((await client.callTool({ name: 'echo', arguments: { text: 'ok' } })).content).toEqual([
    { type: 'text', text: 'ok' },
  ])

  await expect(client.callTool({ name: 'admin_reset', arguments: {} })).rejects.toMatchObject({ code: 403 })
  const refused = h.exchanges.at(-1)!
  expect(refused).toMatchObject({ method: 'POST', jsonRpcMethod: 'tools/call', status: 403 })
  expect(refused.challenge).toBe(
    `Bearer error="insufficient_scope", error_description="Missing scope: mcp:admin", scope="mcp:tools mcp:admin", resource_metadata="${h.metadataUrl}"`,
  )
  expect(h.toolRuns).not.toContain('admin_reset')
  await client.close()
})

test("the SDK client's step-up asks for exactly the challenged scopes, and the new mandate is let through", async () => {
  const h = await startMcpHarness(mcp())
  const { client, transport, provider } = await steppingUpClient(h, 'mcp:tools')
  await client.connect(transport)

  // 403 -> the SDK starts an authorization for the challenged scope list, then needs the code.
  await expect(client.callTool({ name: 'admin_reset', arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError)
  expect(provider.authorizationUrls.map((url) => url.searchParams.get('scope'))).toEqual(['mcp:tools mcp:admin'])
  await transport.finishAuth(provider.code!)
  expect(h.tokenScopes).toEqual(['mcp:tools mcp:admin'])

  const result = await client.callTool({ name: 'admin_reset', arguments: {} })
  expect(result.content).toEqual([{ type: 'text', text: 'reset done' }])
  expect(h.toolRuns.filter((run) => run === 'admin_reset')).toHaveLength(1)
  expect(h.exchanges.filter((e) => e.jsonRpcMethod === 'tools/call').map((e) => e.status)).toEqual([403, 200])
  await client.close()
})

test('a whole session through withMcpCaracal: GET SSE and DELETE carry no body and pass', async () => {
  const h = await startMcpHarness(mcp())
  const session = clientWithToken(h, await h.mint({ scope: 'mcp:tools mcp:admin' }))
  await session.client.connect(session.transport)
  expect(await finishSession(h, session, { name: 'admin_reset', arguments: {} })).toEqual([
    { type: 'text', text: 'reset done' },
  ])
  expect(sessionLog(h)).toEqual(WHOLE_SESSION)
})

test('a batch calling a protected tool among others is refused as a whole', async () => {
  const h = await startMcpHarness(mcp())
  const token = await h.mint({ scope: 'mcp:tools' })
  const batch = [
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'a' } } },
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'admin_reset', arguments: {} } },
  ]
  const response = await fetch(h.mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(batch),
  })
  expect(response.status).toBe(403)
  expect(await response.json()).toMatchObject({ error: 'insufficient_scope' })
  expect(h.toolRuns).toEqual([])
})

test('a body over maxBodyBytes is 413 and never reaches the MCP server, declared or chunked; a smaller one does', async () => {
  const h = await startMcpHarness(mcp({ maxBodyBytes: 2048 }))
  const token = await h.mint({ scope: 'mcp:tools' })
  const message = (text: string) =>
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text } } })
  const send = (body: string | ReadableStream<Uint8Array>) =>
    fetch(h.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body,
      duplex: 'half',
    } as RequestInit)
  const tooLarge = await send(message('x'.repeat(4096)))
  expect(tooLarge.status).toBe(413)
  expect(await tooLarge.json()).toMatchObject({ error: 'request_too_large' })
  // No Content-Length (chunked upload): the bound is found while reading.
  const bytes = new TextEncoder().encode(message('y'.repeat(4096)))
  const chunked = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000))
      controller.close()
    },
  })
  const tooLargeChunked = await send(chunked)
  expect(tooLargeChunked.status).toBe(413)
  expect(h.toolRuns).toEqual([])
  // Under the bound the MCP server answers (400: no session was initialised), so it read the body.
  const small = await send(message('x'))
  expect(small.status).toBe(400)
  expect(await small.json()).toMatchObject({
    jsonrpc: '2.0',
    error: { message: expect.stringMatching(/not initialized/i) },
  })
  expect(h.toolRuns).toHaveLength(1)
})

test('a body that is not JSON-RPC reaches the MCP server unchanged, which answers it', async () => {
  const h = await startMcpHarness(mcp())
  const token = await h.mint({ scope: 'mcp:tools' })
  const response = await fetch(h.mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: '{"not": "json-rpc"',
  })
  // The SDK transport's own JSON-RPC parse error: the body reached it as sent.
  expect(response.status).toBe(400)
  expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } })
  expect(h.toolRuns).toHaveLength(1)
})
