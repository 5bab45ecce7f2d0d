/**
 * An MCP server on Cloudflare Workers, protected by caracal-fetch: the official MCP SDK's
 * web-standard streamable HTTP transport behind `withMcpCaracal`. Every request needs a Caracal
 * mandate with `mcp:tools`; calling the `admin_reset` tool also needs `mcp:admin` (a per-tool
 * requirement: every tool shares the one `/mcp` URL, so a route could not say it).
 *
 * Stateless: a new MCP server and transport per request, so any isolate can answer any request
 * (Workers keep no session between isolates). Issuer, zone and audience come from the Worker's
 * vars (CARACAL_STS_URL, CARACAL_ZONE_ID, CARACAL_AUDIENCE); revocations from the REVOCATIONS KV
 * binding. `/healthz` is served without a mandate. The RFC 9728 document is served at
 * `/.well-known/oauth-protected-resource/mcp`, built per request from those vars (the audience is
 * the resource's URL, e.g. https://mcp.example.com/mcp), so an MCP client discovers the STS from a 401.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { getMandate, type Mandate } from 'caracal-fetch'
import { KvRevocationStore, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'
import { withMcpCaracal } from 'caracal-fetch/mcp'
import { z } from 'zod'

interface Env {
  /** The KV namespace bound in wrangler.toml (`KVNamespace` in @cloudflare/workers-types). */
  REVOCATIONS: KvNamespaceLike
}

/** The MCP server of one request: its tools see that request's verified mandate. */
function mcpServer(mandate: Mandate): McpServer {
  const server = new McpServer({ name: 'caracal-mcp-worker', version: '1.0.0' })
  server.registerTool(
    'whoami',
    { description: 'Who the verified Caracal mandate speaks for', inputSchema: {} },
    async () => ({
      content: [{ type: 'text', text: JSON.stringify({ sub: mandate.sub, scopes: mandate.scopes }) }],
    }),
  )
  server.registerTool(
    'echo',
    { description: 'Echoes its text', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  )
  server.registerTool('admin_reset', { description: 'A privileged tool: needs mcp:admin' }, async () => ({
    content: [{ type: 'text', text: `reset by ${mandate.sub}` }],
  }))
  return server
}

async function handleMcp(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url)
  if (pathname === '/healthz') return new Response('ok\n')
  if (pathname !== '/mcp') return new Response('not found\n', { status: 404 })
  const mandate = getMandate(request)
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined, // stateless
    enableJsonResponse: true,
  })
  await mcpServer(mandate).connect(transport)
  return transport.handleRequest(request)
}

export default {
  fetch: withMcpCaracal(handleMcp, {
    revocations: (env: Env) => new KvRevocationStore(env.REVOCATIONS),
    requiredScopes: ['mcp:tools'],
    tools: { admin_reset: { requiredScopes: ['mcp:admin'] } },
    exclude: ['/healthz'],
    resourceMetadata: { resourceName: 'Caracal MCP Worker' },
    onError: (error) => console.log(`refused ${error.code}: ${error.reason}`),
  }),
}
