/**
 * Deno's upgrade path behind withCaracal: `Deno.upgradeWebSocket(request)` inside the wrapped
 * handler, whose 101 response is returned as is, so it runs only once the mandate is verified.
 */
import type { UpgradingRuntime } from '../websocket.js'

interface DenoSocket {
  onmessage: ((event: MessageEvent) => void) | null
  send(data: string | ArrayBuffer): void
}

declare const Deno: {
  serve(
    options: { port: number; hostname: string; signal: AbortSignal; onListen?: () => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): { addr: { port: number }; finished: Promise<void> }
  upgradeWebSocket(request: Request): { socket: DenoSocket; response: Response }
}

export const denoUpgrades: UpgradingRuntime = {
  name: 'Deno.serve + Deno.upgradeWebSocket',
  async serveEcho(protect) {
    let upgrades = 0
    const stop = new AbortController()
    const server = Deno.serve(
      { port: 0, hostname: '127.0.0.1', signal: stop.signal, onListen() {} },
      protect((request: Request) => {
        const { socket, response } = Deno.upgradeWebSocket(request)
        upgrades++
        socket.onmessage = (event) => socket.send(event.data)
        return response
      }),
    )
    return {
      origin: `http://127.0.0.1:${server.addr.port}`,
      close: async () => {
        stop.abort()
        await server.finished
      },
      upgrades: () => upgrades,
    }
  },
}
