/**
 * An MCP server on the official SDK's web-standard streamable HTTP transport, behind a Caracal
 * wrapper, served over real loopback HTTP (@hono/node-server) next to a minimal token service: the
 * RFC 9728 metadata, RFC 8414 authorization server metadata, the dev issuer's JWKS, an
 * authorization endpoint that approves at once (with PKCE) and a token endpoint (authorization_code
 * and client_credentials) that mints a mandate with exactly the scopes asked for. Also what the
 * suites share to drive it: a harness per test, SDK clients, and a whole session.
 */
import { serve } from '@hono/node-server'
import { afterEach } from 'vitest'
import type { Server } from 'node:http'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { z } from 'zod'
import { MemoryRevocationStore, getMandate } from 'caracal-fetch'
import { createDevIssuer, type DevIssuer } from 'caracal-fetch/testing'

export const CLIENT_ID = 'mcp-test-client'
export const CLIENT_SECRET = 'mcp-test-secret'

/** One request that reached the protected endpoint, with the answer it got. */
export interface Exchange {
  readonly method: string
  readonly jsonRpcMethod: string | undefined
  readonly status: number
  readonly challenge: string | null
  readonly contentType: string | null
}

export interface ProtectedOptions {
  readonly audience: string
  readonly issuer: string
  readonly zoneId: string
  readonly revocations: MemoryRevocationStore
  readonly resourceMetadata: string
}

/** Wraps the MCP handler: withCaracal or withMcpCaracal with the test's own options. */
export type Wrap = (
  handler: (request: Request) => Promise<Response>,
  options: ProtectedOptions,
) => (request: Request) => Response | Promise<Response>

export interface McpHarness {
  readonly origin: string
  readonly mcpUrl: URL
  readonly metadataUrl: string
  readonly dev: DevIssuer
  readonly revocations: MemoryRevocationStore
  /** Every request to /mcp, in arrival order. */
  readonly exchanges: Exchange[]
  /** The `scope` of every token request, in order. */
  readonly tokenScopes: string[]
  /** `handler:<sub>` for each request the MCP handler got, `admin_reset` for each run of that tool. */
  readonly toolRuns: string[]
  /** A mandate for this resource; `claims` override the dev issuer's defaults. */
  mint(claims?: Record<string, unknown>): Promise<string>
  close(): Promise<void>
}

/** A fresh MCP server (one per session: an McpServer connects to one transport). */
function mcpServer(toolRuns: string[]): McpServer {
  const server = new McpServer({ name: 'caracal-test', version: '1.0.0' })
  server.registerTool(
    'echo',
    { description: 'Echoes its text', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  )
  server.registerTool('admin_reset', { description: 'Needs mcp:admin' }, async () => {
    toolRuns.push('admin_reset')
    return { content: [{ type: 'text', text: 'reset done' }] }
  })
  return server
}

/** The SDK's stateful pattern: a transport per session, found by `mcp-session-id`. */
function sessionRouter(toolRuns: string[]): (request: Request) => Promise<Response> {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>()
  return async (request) => {
    // The wrapper let it through, so the mandate is there (getMandate throws otherwise).
    toolRuns.push(`handler:${getMandate(request).sub}`)
    const id = request.headers.get('mcp-session-id')
    if (id !== null) {
      const transport = sessions.get(id)
      return transport === undefined
        ? new Response('unknown session', { status: 404 })
        : transport.handleRequest(request)
    }
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport),
      onsessionclosed: (sessionId) => void sessions.delete(sessionId),
    })
    await mcpServer(toolRuns).connect(transport)
    return transport.handleRequest(request)
  }
}

async function jsonRpcMethodOf(request: Request): Promise<string | undefined> {
  if (request.method !== 'POST') return undefined
  try {
    const body = (await request.clone().json()) as { method?: string } | { method?: string }[]
    return Array.isArray(body) ? body.map((m) => m.method).join(',') : body.method
  } catch {
    return undefined
  }
}

/** How the harness routes: by default it serves the RFC 9728 document itself. */
export interface HarnessOptions {
  /** Route `/.well-known/oauth-protected-resource*` to the wrapper (a served `resourceMetadata`). */
  readonly wrapperServesMetadata?: boolean
}

/** Starts the server on a random loopback port. `wrap` puts the Caracal wrapper around /mcp. */
export async function startMcpHarness(wrap: Wrap, harnessOptions: HarnessOptions = {}): Promise<McpHarness> {
  let route: (request: Request) => Response | Promise<Response> = () => new Response('starting', { status: 503 })
  const server = await new Promise<{ server: Server; port: number }>((resolve) => {
    const s = serve({ fetch: (request) => route(request), port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ server: s as Server, port: info.port }),
    ) as Server
  })
  const origin = `http://127.0.0.1:${server.port}`
  const mcpUrl = new URL(`${origin}/mcp`)
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`
  const stsUrl = `${origin}/sts`
  const dev = await createDevIssuer({ issuer: stsUrl, zoneId: 'zone-mcp', audience: mcpUrl.href })
  const revocations = new MemoryRevocationStore()
  const exchanges: Exchange[] = []
  const tokenScopes: string[] = []
  const toolRuns: string[] = []

  const protectedMcp = wrap(sessionRouter(toolRuns), {
    audience: mcpUrl.href,
    issuer: stsUrl,
    zoneId: dev.zoneId,
    revocations,
    resourceMetadata: metadataUrl,
  })

  // Authorization codes issued by the auto-approving /sts/authorize: the scope asked for, and the
  // PKCE challenge the token request must answer.
  const codes = new Map<string, { scope: string; challenge: string }>()

  const authorize = (request: Request): Response => {
    const query = new URL(request.url).searchParams
    const redirect = query.get('redirect_uri')
    const challenge = query.get('code_challenge')
    if (query.get('client_id') !== CLIENT_ID || redirect === null || challenge === null) {
      return Response.json({ error: 'invalid_request' }, { status: 400 })
    }
    const code = crypto.randomUUID()
    codes.set(code, { scope: query.get('scope') ?? '', challenge })
    const location = new URL(redirect)
    location.searchParams.set('code', code)
    const state = query.get('state')
    if (state !== null) location.searchParams.set('state', state)
    return new Response(null, { status: 302, headers: { location: location.href } })
  }

  /** The scope a token request earns, or a refusal. */
  const grant = async (form: URLSearchParams, authorization: string | null): Promise<string | Response> => {
    if (form.get('grant_type') === 'client_credentials') {
      if (authorization !== `Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`) {
        return Response.json({ error: 'invalid_client' }, { status: 401 })
      }
      return form.get('scope') ?? ''
    }
    if (form.get('grant_type') === 'authorization_code') {
      const issued = codes.get(form.get('code') ?? '')
      codes.delete(form.get('code') ?? '')
      const verifier = new TextEncoder().encode(form.get('code_verifier') ?? '')
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', verifier))
      const s256 = btoa(String.fromCharCode(...digest))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '')
      if (issued === undefined || issued.challenge !== s256)
        return Response.json({ error: 'invalid_grant' }, { status: 400 })
      return issued.scope
    }
    return Response.json({ error: 'unsupported_grant_type' }, { status: 400 })
  }

  const tokenEndpoint = async (request: Request): Promise<Response> => {
    const scope = await grant(new URLSearchParams(await request.text()), request.headers.get('authorization'))
    if (typeof scope !== 'string') return scope
    tokenScopes.push(scope)
    const accessToken = await dev.mint({ scope, client_id: CLIENT_ID })
    return Response.json({ access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope })
  }

  route = async (request) => {
    const path = new URL(request.url).pathname
    const jwks = dev.handleJwks(request)
    if (jwks !== undefined) return jwks
    if (harnessOptions.wrapperServesMetadata === true && path.startsWith('/.well-known/oauth-protected-resource')) {
      return protectedMcp(request)
    }
    if (path === '/.well-known/oauth-protected-resource/mcp') {
      return Response.json({
        resource: mcpUrl.href,
        authorization_servers: [stsUrl],
        scopes_supported: ['mcp:tools', 'mcp:admin'],
        bearer_methods_supported: ['header'],
      })
    }
    if (path === '/.well-known/oauth-authorization-server/sts') {
      return Response.json({
        issuer: stsUrl,
        authorization_endpoint: `${stsUrl}/authorize`,
        token_endpoint: `${stsUrl}/token`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'client_credentials'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
      })
    }
    if (path === '/sts/authorize' && request.method === 'GET') return authorize(request)
    if (path === '/sts/token' && request.method === 'POST') return tokenEndpoint(request)
    if (path !== '/mcp') return new Response('not found', { status: 404 })
    const jsonRpcMethod = await jsonRpcMethodOf(request)
    const response = await protectedMcp(request)
    exchanges.push({
      method: request.method,
      jsonRpcMethod,
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      contentType: response.headers.get('content-type'),
    })
    return response
  }

  return {
    origin,
    mcpUrl,
    metadataUrl,
    dev,
    revocations,
    exchanges,
    tokenScopes,
    toolRuns,
    mint: (claims = {}) => dev.mint({ scope: 'mcp:tools', ...claims }),
    close: () =>
      new Promise<void>((done) => {
        server.server.closeAllConnections?.()
        server.server.close(() => done())
      }),
  }
}

/** Waits until `predicate` holds (the SDK client opens its GET stream in the background). */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * For a test file: a function that starts a harness (as `startMcpHarness`) and the `afterEach`
 * that closes the last one started, so every test gets a fresh server.
 */
export function harnessPerTest(): (wrap: Wrap, harnessOptions?: HarnessOptions) => Promise<McpHarness> {
  let harness: McpHarness | undefined
  afterEach(async () => {
    await harness?.close()
    harness = undefined
  })
  return async (wrap, harnessOptions) => (harness = await startMcpHarness(wrap, harnessOptions))
}

/** An SDK client and its transport, not connected yet. */
export interface SdkClient {
  readonly client: Client
  readonly transport: StreamableHTTPClientTransport
}

function sdkClient(transport: StreamableHTTPClientTransport): SdkClient {
  return { client: new Client({ name: 'caracal-test-client', version: '1.0.0' }), transport }
}

/** An SDK client whose every request carries `Authorization: Bearer <token>`. */
export function clientWithToken(h: McpHarness, token: string): SdkClient {
  return sdkClient(
    new StreamableHTTPClientTransport(h.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  )
}

/** An SDK client that gets its tokens from `authProvider` (and asks it for new ones on a 401 or 403). */
export function clientWithProvider(h: McpHarness, authProvider: OAuthClientProvider): SdkClient {
  return sdkClient(new StreamableHTTPClientTransport(h.mcpUrl, { authProvider }))
}

/**
 * An SDK client with an OAuth client_credentials provider for `scope` and no token yet: it
 * discovers the token service from the 401 and the RFC 9728 document.
 */
export function discoveringClient(h: McpHarness, scope: string): SdkClient {
  return clientWithProvider(
    h,
    new ClientCredentialsProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      expectedIssuer: `${h.origin}/sts`,
      scope,
    }),
  )
}

/** The exchanges of a whole session, `[method, JSON-RPC method, status]`, as `sessionLog` lists them. */
export const WHOLE_SESSION = [
  ['POST', 'initialize', 200],
  ['POST', 'notifications/initialized', 202],
  ['GET', undefined, 200],
  ['POST', 'tools/call', 200],
  ['DELETE', undefined, 200],
]

/** Every exchange so far as `[method, JSON-RPC method, status]`. */
export function sessionLog(h: McpHarness): [string, string | undefined, number][] {
  return h.exchanges.map((e) => [e.method, e.jsonRpcMethod, e.status])
}

/**
 * The rest of a whole session on a connected client: waits for its GET SSE stream, calls `tool`
 * once, ends the session (DELETE) and closes the client. Resolves to the tool's content.
 */
export async function finishSession(
  h: McpHarness,
  { client, transport }: SdkClient,
  tool: { name: string; arguments: Record<string, unknown> },
): Promise<unknown> {
  await eventually(() => h.exchanges.some((e) => e.method === 'GET'), 'the GET SSE stream')
  const { content } = await client.callTool(tool)
  await transport.terminateSession()
  await client.close()
  return content
}
