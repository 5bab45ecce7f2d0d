/** Smoke checks of the Bun example's WebSocket: verified handshake, closed with 1008 once revoked. */
import { expect } from 'vitest'
import WebSocket from 'ws'
import { revokeInRedis, type SmokeCheck } from './harness.js'

/** Opens a WebSocket to the example and resolves with its first message, or rejects with the refusal status. */
function open(origin: string, token?: string): Promise<{ socket: WebSocket; hello: string; closed: Promise<number> }> {
  const url = `${origin.replace(/^http/, 'ws')}/ws`
  const socket = new WebSocket(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_request, response) => reject(new Error(`status ${response.statusCode}`)))
    socket.once('error', reject)
    socket.once('message', (data) => resolve({ socket, hello: String(data), closed }))
  })
}

export const bunChecks: readonly SmokeCheck[] = [
  {
    name: 'WebSocket /ws: a refused handshake is a 401, never a 101',
    async run(_get, _infra, origin) {
      await expect(open(origin)).rejects.toThrow('status 401')
    },
  },
  {
    name: 'WebSocket /ws: open with a valid mandate, closed with 1008 once it is revoked (revalidate)',
    async run(_get, infra, origin) {
      const sid = `sid-ws-${crypto.randomUUID()}`
      const { socket, hello, closed } = await open(origin, await infra.dev.mint({ sid, sub: 'ws-user' }))
      expect(hello).toBe('hello ws-user')
      const echoed = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))))
      socket.send('ping')
      expect(await echoed).toBe('ping')
      await revokeInRedis(sid, infra)
      expect(await closed).toBe(1008)
    },
  },
]
