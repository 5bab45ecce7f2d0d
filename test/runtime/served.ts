/**
 * Cases that need a real server: the runtime's own HTTP server runs `withCaracal` and the Hono
 * middleware on loopback, and the JWKS is fetched over real HTTP from a dev issuer served the same
 * way. Portable: each runner passes its runtime's `serve` (Bun.serve, Deno.serve, @hono/node-server).
 */
import { Hono } from 'hono'
import { MemoryRevocationStore, getMandate, withCaracal } from 'caracal-fetch'
import { caracal, requireScopes, type CaracalVariables } from 'caracal-fetch/hono'
import { createDevIssuer, type DevIssuer } from 'caracal-fetch/testing'
import { equal, match, ok, type ContractCase } from '../contract/assert.js'

/** A Fetch handler as runtimes call it: the request, then whatever the runtime passes along. */
export type ServedHandler = (request: Request, ...rest: any[]) => Response | Promise<Response>

export interface Served {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string
  close(): Promise<void>
}

export interface ServingRuntime {
  /** Shown in case names, e.g. 'Bun.serve'. */
  readonly name: string
  /** Serves `handler` on 127.0.0.1 on a free port. */
  serve(handler: ServedHandler): Promise<Served>
  /** Whether `extra` is what this runtime passes as the handler's second argument (server, info, env). */
  isExtraArgument(extra: unknown): boolean
}

const AUDIENCE = 'resource://served-api'

/** A dev issuer whose JWKS is served over real HTTP by the runtime itself. */
async function servedIssuer(runtime: ServingRuntime): Promise<{ dev: DevIssuer; close(): Promise<void> }> {
  let dev: DevIssuer | undefined
  const server = await runtime.serve(
    (request) => dev?.handleJwks(request) ?? new Response('not found', { status: 404 }),
  )
  dev = await createDevIssuer({ issuer: server.origin, zoneId: 'zone-served', audience: AUDIENCE })
  return { dev, close: () => server.close() }
}

async function withServers(
  runtime: ServingRuntime,
  build: (dev: DevIssuer, store: MemoryRevocationStore) => ServedHandler,
  check: (origin: string, dev: DevIssuer, store: MemoryRevocationStore) => Promise<void>,
): Promise<void> {
  const issuer = await servedIssuer(runtime)
  const store = new MemoryRevocationStore()
  const app = await runtime.serve(build(issuer.dev, store))
  try {
    await check(app.origin, issuer.dev, store)
  } finally {
    await app.close()
    await issuer.close()
  }
}

function options(dev: DevIssuer, store: MemoryRevocationStore) {
  // No `fetch` option: the runtime's own global fetch gets the JWKS over loopback HTTP.
  return { audience: AUDIENCE, issuer: dev.issuer, zoneId: dev.zoneId, revocations: store, exclude: ['/healthz'] }
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

export function servedCases(runtime: ServingRuntime): ContractCase[] {
  return [
    {
      name: `${runtime.name} serves withCaracal: JWKS over loopback HTTP, 200, 401, revoked 401, HEAD, excluded path`,
      async run() {
        let seen: { sameRequest: boolean; extra: boolean } | undefined
        await withServers(
          runtime,
          (dev, store) => {
            const seenRequests = new WeakSet<Request>()
            const inner = withCaracal(
              (request: Request, ...rest: unknown[]) => {
                if (new URL(request.url).pathname === '/healthz') return new Response('ok')
                seen = { sameRequest: seenRequests.has(request), extra: runtime.isExtraArgument(rest[0]) }
                return Response.json({ sub: getMandate(request).sub })
              },
              options(dev, store),
            )
            // Records the Request object the runtime handed over, to check the handler gets that very object.
            return (request, ...rest) => {
              seenRequests.add(request)
              return inner(request, ...rest)
            }
          },
          async (origin, dev, store) => {
            const res = await fetch(`${origin}/invoices`, { headers: bearer(await dev.mint({ sub: 'user-served' })) })
            equal(res.status, 200, 'valid mandate')
            equal(((await res.json()) as { sub: string }).sub, 'user-served', 'sub')
            ok(seen?.sameRequest, 'the handler received the runtime’s own Request object')
            ok(seen?.extra, `the runtime's extra handler argument passed through`)
            ok(dev.jwksRequests >= 1, 'the JWKS was fetched over HTTP')

            const missing = await fetch(`${origin}/invoices`)
            equal(missing.status, 401, 'missing token')
            equal(missing.headers.get('www-authenticate'), 'Bearer', 'challenge')
            equal(missing.headers.get('content-type'), 'application/json', 'content-type')
            equal(((await missing.json()) as { error: string }).error, 'missing_token', 'code')

            const head = await fetch(`${origin}/invoices`, { method: 'HEAD', headers: bearer('not-a-jwt') })
            equal(head.status, 401, 'HEAD with a bad token')
            match(head.headers.get('www-authenticate'), /error="invalid_token"/, 'HEAD challenge')
            equal(await head.text(), '', 'HEAD body')

            const token = await dev.mint({ sid: 'sid-served' })
            equal((await fetch(`${origin}/x`, { headers: bearer(token) })).status, 200, 'before revocation')
            store.markRevoked('sid-served')
            const revoked = await fetch(`${origin}/x`, { headers: bearer(token) })
            equal(revoked.status, 401, 'revoked')
            equal(((await revoked.json()) as { error: string }).error, 'session_revoked', 'revoked code')

            equal((await fetch(`${origin}/healthz`)).status, 200, 'excluded /healthz')
          },
        )
      },
    },
    {
      name: `${runtime.name} serves a Hono app with caracal() and requireScopes`,
      async run() {
        await withServers(
          runtime,
          (dev, store) => {
            const app = new Hono<{ Variables: CaracalVariables }>()
            app.use(caracal(options(dev, store)))
            app.get('/healthz', (c) => c.text('ok'))
            app.get('/me', (c) => c.json({ sub: c.var.caracal.sub }))
            app.get('/admin', requireScopes('admin'), (c) => c.text('admin'))
            return app.fetch
          },
          async (origin, dev) => {
            const me = await fetch(`${origin}/me`, { headers: bearer(await dev.mint({ sub: 'hono-user' })) })
            equal(me.status, 200, '/me')
            equal(((await me.json()) as { sub: string }).sub, 'hono-user', 'c.var.caracal.sub')
            const missing = await fetch(`${origin}/me`)
            equal(missing.status, 401, 'missing token')
            equal(missing.headers.get('www-authenticate'), 'Bearer', 'challenge')
            await missing.body?.cancel()
            const admin = await fetch(`${origin}/admin`, { headers: bearer(await dev.mint({ scope: 'read' })) })
            equal(admin.status, 403, 'requireScopes')
            match(admin.headers.get('www-authenticate'), /error="insufficient_scope".*scope="admin"/, 'scope challenge')
            await admin.body?.cancel()
            const granted = await fetch(`${origin}/admin`, { headers: bearer(await dev.mint({ scope: 'admin' })) })
            equal(await granted.text(), 'admin', 'granted')
            equal((await fetch(`${origin}/healthz`)).status, 200, 'excluded /healthz')
          },
        )
      },
    },
  ]
}
