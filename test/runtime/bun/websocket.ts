/**
 * Bun's upgrade path behind withCaracal: `server.upgrade(request)` inside the wrapped handler, so
 * it runs only once the mandate is verified. After a successful upgrade the handler returns a 101
 * Response (which Bun ignores): returning `undefined`, as Bun's examples do, would be taken by
 * withCaracal for a handler that forgot to answer.
 */
import type { ServedHandler } from '../served.js'
import type { UpgradingRuntime } from '../websocket.js'

declare const Bun: {
  serve(options: {
    port: number
    hostname: string
    fetch: ServedHandler
    websocket: { message(ws: { send(data: string | Uint8Array): void }, message: string | Uint8Array): void }
  }): { port: number; stop(closeActiveConnections?: boolean): Promise<void> }
}

interface BunServer {
  upgrade(request: Request): boolean
}

export const bunUpgrades: UpgradingRuntime = {
  name: 'Bun.serve + server.upgrade',
  async serveEcho(protect) {
    let upgrades = 0
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: protect((request: Request, server: BunServer) => {
        if (!server.upgrade(request)) return new Response('expected a WebSocket handshake', { status: 426 })
        upgrades++
        return new Response(null, { status: 101 })
      }),
      websocket: { message: (ws, message) => ws.send(message) },
    })
    return {
      origin: `http://127.0.0.1:${server.port}`,
      close: () => server.stop(true),
      upgrades: () => upgrades,
    }
  },
}
