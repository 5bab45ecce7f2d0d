#!/usr/bin/env node
// The quick-start demo: a protected API on localhost with a built-in development issuer and the
// memory revocation store. Everything under /dev-sts is the stand-in for Caracal's STS; the rest
// of the server is what a user writes.
import { serve } from '@hono/node-server'
import { MemoryRevocationStore, getMandate, withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'

const port = Number(process.env.PORT ?? 8787)
const origin = `http://127.0.0.1:${port}`
const audience = 'resource://demo-api'
const dev = await createDevIssuer({ issuer: `${origin}/dev-sts`, zoneId: 'zone-demo', audience })
const revocations = new MemoryRevocationStore()

const api = withCaracal(
  (request) => {
    // /healthz is excluded below: it runs without a mandate.
    if (new URL(request.url).pathname === '/healthz') return new Response('ok\n')
    const mandate = getMandate(request)
    return Response.json({
      message: 'hello from a Caracal-protected handler',
      path: new URL(request.url).pathname,
      sub: mandate.sub,
      clientId: mandate.clientId,
      scopes: mandate.scopes,
      agentSessionId: mandate.agentSessionId ?? null,
      expiresAt: new Date(mandate.expiresAt * 1000).toISOString(),
    })
  },
  {
    audience,
    issuer: dev.issuer,
    zoneId: dev.zoneId,
    revocations,
    requiredScopes: ['demo:read'],
    routes: { '/payouts': { requiredScopes: ['demo:payout'], requireAgent: true } },
    exclude: ['/healthz'],
    onError: (error) => console.log(`refused ${error.code}: ${error.reason}`),
  },
)

async function devSts(request) {
  const url = new URL(request.url)
  const jwks = dev.handleJwks(request)
  if (jwks) return jwks
  if (url.pathname === '/dev-sts/mint') {
    const scope = url.searchParams.get('scope') ?? 'demo:read'
    const agent = url.searchParams.get('agent_session_id')
    const token = await dev.mint({ scope, ...(agent ? { agent_session_id: agent } : {}) }, { expiresIn: 900 })
    return new Response(`${token}\n`, { headers: { 'content-type': 'text/plain' } })
  }
  if (url.pathname === '/dev-sts/revoke' && request.method === 'POST') {
    const anchor = url.searchParams.get('anchor')
    if (!anchor) return Response.json({ error: 'anchor query parameter required' }, { status: 400 })
    revocations.markRevoked(anchor)
    return Response.json({ revoked: anchor })
  }
  return new Response('not found\n', { status: 404 })
}

const server = serve({
  port,
  hostname: '127.0.0.1',
  fetch: (request) => (new URL(request.url).pathname.startsWith('/dev-sts/') ? devSts(request) : api(request)),
})

await api.warmup()
const token = await dev.mint(
  { scope: 'demo:read', sid: 'sid-demo', agent_session_id: 'agent-demo' },
  { expiresIn: 900 },
)
console.log(`caracal-fetch demo: protected API on ${origin} (dev issuer ${dev.issuer}, zone ${dev.zoneId})

A valid mandate (scope demo:read, 15 minutes):
  curl -i ${origin}/invoices -H 'authorization: Bearer ${token}'

No mandate (401 missing_token):
  curl -i ${origin}/invoices

Valid mandate, missing scope for /payouts (403 insufficient_scope):
  curl -i ${origin}/payouts -H 'authorization: Bearer ${token}'

Mint another (dev issuer only):  curl -s '${origin}/dev-sts/mint?scope=demo:read+demo:payout&agent_session_id=a1'
Revoke its session anchor:        curl -s -X POST '${origin}/dev-sts/revoke?anchor=sid-demo'   (then retry the first curl: 401 session_revoked)

Ctrl-C to stop.`)

const stop = () => server.close(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
