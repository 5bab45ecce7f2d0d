/**
 * A served `resourceMetadata` with the official SDK client: the wrapper answers the RFC 9728
 * document itself (the harness serves none), and the client discovers its authorization server
 * from the 401 alone, asking for the scopes the challenge names.
 */
import { expect, test } from 'vitest'
import { withMcpCaracal } from 'caracal-fetch/mcp'
import { discoveringClient, harnessPerTest } from './harness.js'

const startMcpHarness = harnessPerTest()

test('401 -> the served document -> a token -> a session; the document names the route and tool scopes', async () => {
  const h = await startMcpHarness(
    (handler, { resourceMetadata: _url, ...options }) =>
      withMcpCaracal(handler, {
        ...options,
        requiredScopes: ['mcp:tools'],
        tools: { admin_reset: { requiredScopes: ['mcp:admin'] } },
        resourceMetadata: { resourceName: 'Caracal test MCP' },
      }),
    { wrapperServesMetadata: true },
  )
  const document = await fetch(h.metadataUrl)
  expect(document.headers.get('access-control-allow-origin')).toBe('*')
  expect(await document.json()).toEqual({
    resource: h.mcpUrl.href,
    authorization_servers: [`${h.origin}/sts`],
    scopes_supported: ['mcp:tools', 'mcp:admin'],
    bearer_methods_supported: ['header'],
    resource_name: 'Caracal test MCP',
  })

  const { client, transport } = discoveringClient(h, 'mcp:tools')
  await client.connect(transport)
  expect((await client.callTool({ name: 'echo', arguments: { text: 'served' } })).content).toEqual([
    { type: 'text', text: 'served' },
  ])
  expect(h.exchanges[0]).toMatchObject({ method: 'POST', jsonRpcMethod: 'initialize', status: 401 })
  expect(h.exchanges[0]!.challenge).toBe(`Bearer scope="mcp:tools", resource_metadata="${h.metadataUrl}"`)
  expect(h.tokenScopes).toEqual(['mcp:tools'])
  await client.close()
})
