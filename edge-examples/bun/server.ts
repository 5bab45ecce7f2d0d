// Bun.serve with a withCaracal-wrapped fetch handler, and a WebSocket on /ws that is verified at
// the handshake and closed with 1008 (policy violation) once its mandate is revoked or expires.
// Env: CARACAL_STS_URL, CARACAL_ZONE_ID, CARACAL_AUDIENCE (read by withCaracal), PORT,
// REVALIDATE_MS (how often an open WebSocket's mandate is checked again, default 10000), and
// optionally UPSTASH_REDIS_REST_URL + UPSTASH_REDIS_REST_TOKEN for revocations shared by every instance.
import { MemoryRevocationStore, getMandate, revalidate, withCaracal } from 'caracal-fetch'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'

const revocations = process.env.UPSTASH_REDIS_REST_URL ? UpstashRevocationStore.fromEnv() : new MemoryRevocationStore() // this process only: fine for one instance, not for a fleet
const revalidateMs = Number(process.env.REVALIDATE_MS ?? 10_000)

/** What each socket keeps: the handshake request (its mandate, for revalidate) and its timer. */
interface Socket {
  request: Request
  timer?: ReturnType<typeof setInterval>
}
// The parts of Bun's Server and ServerWebSocket used here (bun-types spells them out in full).
type Upgrader = { upgrade(request: Request, options: { data: Socket }): boolean }
type ServerWebSocket = {
  data: Socket
  send(message: string | Uint8Array): void
  close(code?: number, reason?: string): void
}

const handler = withCaracal(
  (request: Request, server: Upgrader) => {
    const path = new URL(request.url).pathname
    if (path === '/healthz') return new Response('ok')
    if (path === '/ws') {
      // Bun ignores the 101 after a successful upgrade; withCaracal needs a Response either way.
      return server.upgrade(request, { data: { request } satisfies Socket })
        ? new Response(null, { status: 101 })
        : new Response('expected a WebSocket upgrade', { status: 426 })
    }
    const mandate = getMandate(request)
    return Response.json({ sub: mandate.sub, clientId: mandate.clientId, scopes: mandate.scopes })
  },
  {
    revocations,
    exclude: ['/healthz'],
    // The client gets the generic error; the operator's log gets the reason.
    onError: (error) => console.warn(`caracal: ${error.code}: ${error.reason}`),
  },
)

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  fetch: handler,
  websocket: {
    open(ws: ServerWebSocket) {
      ws.send(`hello ${getMandate(ws.data.request).sub}`)
      ws.data.timer = setInterval(async () => {
        const refusal = await revalidate(ws.data.request)
        // A store outage (503) keeps the socket open; a revoked or expired mandate closes it.
        if (refusal !== undefined && refusal.status !== 503) ws.close(1008, refusal.code)
      }, revalidateMs)
    },
    message(ws: ServerWebSocket, message: string | Uint8Array) {
      ws.send(message)
    },
    close(ws: ServerWebSocket) {
      clearInterval(ws.data.timer)
    },
  },
})
console.log(`bun example listening on http://localhost:${server.port}`)
