/**
 * The official MCP SDK client against an SDK server behind Hono: `caracal()` verifies, `mcpTools()`
 * holds each tool to its requirements; per-tool 403 naming route and tool scopes, the SDK's
 * step-up, and a whole session.
 */
import { expect, test } from 'vitest'
import { Hono } from 'hono'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { caracal, mcpTools, type CaracalEnv } from 'caracal-fetch/hono'
import { steppingUpClient } from './auto-approving-provider.js'
import { WHOLE_SESSION, clientWithToken, finishSession, harnessPerTest, sessionLog, type Wrap } from './harness.js'

const startMcpHarness = harnessPerTest()

const behindHono: Wrap = (handler, options) => {
  const app = new Hono<CaracalEnv>()
  app.use('*', caracal({ ...options, requiredScopes: ['mcp:tools'] }))
  app.all('/mcp', mcpTools({ tools: { admin_reset: { requiredScopes: ['mcp:admin'] } } }), (c) => handler(c.req.raw))
  return (request) => app.fetch(request)
}

test('a tool the mandate misses: 403 naming route and tool scopes; the tool never runs; allowed tools do', async () => {
  const h = await startMcpHarness(behindHono)
  const { client, transport } = clientWithToken(h, await h.mint({ scope: 'mcp:tools' }))
  await client.connect(transport)
  expect((await client.callTool({ name: 'echo', arguments: { text: 'hono' } })).content).toEqual([
    { type: 'text', text: 'hono' },
  ])
  await expect(client.callTool({ name: 'admin_reset', arguments: {} })).rejects.toMatchObject({ code: 403 })
  expect(h.exchanges.at(-1)!.challenge).toBe(
    `Bearer error="insufficient_scope", error_description="Missing scope: mcp:admin", scope="mcp:tools mcp:admin", resource_metadata="${h.metadataUrl}"`,
  )
  expect(h.toolRuns).not.toContain('admin_reset')
  await client.close()
})

test('a whole session with every scope: GET SSE, the protected tool, DELETE', async () => {
  const h = await startMcpHarness(behindHono)
  const session = clientWithToken(h, await h.mint({ scope: 'mcp:tools mcp:admin' }))
  await session.client.connect(session.transport)
  expect(await finishSession(h, session, { name: 'admin_reset', arguments: {} })).toEqual([
    { type: 'text', text: 'reset done' },
  ])
  expect(sessionLog(h)).toEqual(WHOLE_SESSION)
})

test("the SDK client's step-up behind Hono: asks for the challenged scopes, and the new mandate is let through", async () => {
  const h = await startMcpHarness(behindHono)
  const { client, transport, provider } = await steppingUpClient(h, 'mcp:tools')
  await client.connect(transport)
  await expect(client.callTool({ name: 'admin_reset', arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError)
  expect(provider.authorizationUrls.map((url) => url.searchParams.get('scope'))).toEqual(['mcp:tools mcp:admin'])
  await transport.finishAuth(provider.code!)
  expect((await client.callTool({ name: 'admin_reset', arguments: {} })).content).toEqual([
    { type: 'text', text: 'reset done' },
  ])
  expect(h.exchanges.filter((e) => e.jsonRpcMethod === 'tools/call').map((e) => e.status)).toEqual([403, 200])
  await client.close()
})
