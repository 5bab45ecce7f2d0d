/**
 * WebSocket upgrades on Node behind withCaracal: @hono/node-server for HTTP and `ws` for the
 * upgrade. Node hands an upgrade request to the server's 'upgrade' event, not to the Fetch handler,
 * so the event builds a Request, runs the wrapped handler with the socket as an extra argument, and
 * writes a refusal onto the socket itself; `ws` completes the handshake only inside the handler,
 * after verification.
 */
import { serve } from '@hono/node-server'
import type { IncomingMessage, Server } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { test } from 'vitest'
import { WebSocketServer } from 'ws'
import type { UpgradingRuntime } from '../runtime/websocket.js'
import { websocketCases } from '../runtime/websocket.js'

interface NodeUpgrade {
  readonly incoming: IncomingMessage
  readonly socket: Duplex
  readonly head: Buffer
}

/** What the inner handler answers once `ws` owns the socket: nothing more is written to it. */
const UPGRADED = new Response(null, { status: 204 })

/** The raw HTTP/1.1 response for a refused handshake; the connection closes after it. */
async function writeRefusal(socket: Duplex, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer())
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`]
  response.headers.forEach((value, name) => lines.push(`${name}: ${value}`))
  lines.push(`content-length: ${body.length}`, 'connection: close')
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]))
}

const nodeUpgrades: UpgradingRuntime = {
  name: '@hono/node-server + ws',
  async serveEcho(protect) {
    let upgrades = 0
    const wss = new WebSocketServer({ noServer: true })
    const handler = protect((_request: Request, upgrade: NodeUpgrade) => {
      upgrades++
      wss.handleUpgrade(upgrade.incoming, upgrade.socket, upgrade.head, (ws) => {
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
      })
      return UPGRADED
    })
    const { server, port } = await new Promise<{ server: Server; port: number }>((resolve) => {
      const s = serve(
        { fetch: () => new Response('WebSocket only', { status: 426 }), port: 0, hostname: '127.0.0.1' },
        (info) => resolve({ server: s as Server, port: info.port }),
      ) as Server
    })
    server.on('upgrade', async (incoming: IncomingMessage, socket: Duplex, head: Buffer) => {
      const headers = new Headers()
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
      }
      const request = new Request(`http://127.0.0.1:${port}${incoming.url}`, { method: incoming.method, headers })
      const response = await handler(request, { incoming, socket, head } satisfies NodeUpgrade)
      if (response !== UPGRADED) await writeRefusal(socket, response)
    })
    return {
      origin: `http://127.0.0.1:${port}`,
      upgrades: () => upgrades,
      close: () =>
        new Promise<void>((done) => {
          for (const client of wss.clients) client.terminate()
          wss.close()
          server.closeAllConnections?.()
          server.close(() => done())
        }),
    }
  },
}

for (const c of websocketCases(nodeUpgrades)) test(c.name, () => c.run())
