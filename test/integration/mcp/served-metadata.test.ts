/**
 * A served `resourceMetadata` with the official SDK client: the wrapper answers the RFC 9728
 * document itself (the harness serves none), and the client discovers its authorization server
 * from the 401 alone, asking for the scopes the challenge names.
 */
import { afterEach, expect, test } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import { withMcpCaracal } from 'caracal-fetch/mcp'
import { CLIENT_ID, CLIENT_SECRET, startMcpHarness, type McpHarness } from './harness.js'

let harness: McpHarness | undefined
afterEach(async () => {
  await harness?.close()
  harness = undefined
})

test('401 -> the served document -> a token -> a session; the document names the route and tool scopes', async () => {
  const h = (harness = await startMcpHarness(
    (handler, { resourceMetadata: _url, ...options }) =>
      withMcpCaracal(handler, {
        ...options,
        requiredScopes: ['mcp:tools'],
        tools: { admin_reset: { requiredScopes: ['mcp:admin'] } },
        resourceMetadata: { resourceName: 'Caracal test MCP' },
      }),
    { wrapperServesMetadata: true },
  ))
  const document = await fetch(h.metadataUrl)
  expect(document.headers.get('access-control-allow-origin')).toBe('*')
  expect(await document.json()).toEqual({
    resource: h.mcpUrl.href,
    authorization_servers: [`${h.origin}/sts`],
    scopes_supported: ['mcp:tools', 'mcp:admin'],
    bearer_methods_supported: ['header'],
    resource_name: 'Caracal test MCP',
  })

  const transport = new StreamableHTTPClientTransport(h.mcpUrl, {
    authProvider: new ClientCredentialsProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      expectedIssuer: `${h.origin}/sts`,
      scope: 'mcp:tools',
    }),
  })
  const client = new Client({ name: 'caracal-test-client', version: '1.0.0' })
  await client.connect(transport)
  expect((await client.callTool({ name: 'echo', arguments: { text: 'served' } })).content).toEqual([
    { type: 'text', text: 'served' },
  ])
  expect(h.exchanges[0]).toMatchObject({ method: 'POST', jsonRpcMethod: 'initialize', status: 401 })
  expect(h.exchanges[0]!.challenge).toBe(`Bearer scope="mcp:tools", resource_metadata="${h.metadataUrl}"`)
  expect(h.tokenScopes).toEqual(['mcp:tools'])
  await client.close()
})
