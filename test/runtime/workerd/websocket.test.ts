/**
 * WebSocket upgrades on Workers behind withCaracal, in workerd: the handler creates the
 * WebSocketPair only once the mandate is verified, so a refused handshake is Caracal's 401/403
 * with no `webSocket` (never a 101), and an accepted one is a 101 whose socket echoes.
 */
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { expect, test } from 'vitest'
import type { Env } from './worker.js'
import { mint, testEnv } from './helpers.js'

declare const WebSocketPair: new () => { 0: WebSocket; 1: WebSocket }
type WorkersWebSocket = WebSocket & { accept(): void }

function setup() {
  const store = new MemoryRevocationStore()
  let pairs = 0
  const handler = withCaracal(
    (request: Request, _env: Env) => {
      if (request.headers.get('upgrade') !== 'websocket') return new Response('WebSocket only', { status: 426 })
      const pair = new WebSocketPair()
      pairs++
      const [client, server] = [pair[0], pair[1] as WorkersWebSocket]
      server.accept()
      server.addEventListener('message', (event) => server.send(event.data as string))
      return new Response(null, { status: 101, webSocket: client } as ResponseInit)
    },
    { revocations: store, routes: { '/admin': { requiredScopes: ['ws:admin'] } } },
  )
  return { handler, store, pairs: () => pairs }
}

const upgrade = (path: string, token?: string): Request =>
  new Request(`https://api.test${path}`, {
    headers: { upgrade: 'websocket', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
  })

test('refused handshakes: 401 without a mandate or with a revoked one, 403 without the scope; no 101, no pair', async () => {
  const { handler, store, pairs } = setup()
  const none = await handler(upgrade('/chat'), testEnv)
  expect(none.status).toBe(401)
  expect(none.headers.get('www-authenticate')).toBe('Bearer')
  expect((none as Response & { webSocket: unknown }).webSocket).toBeNull()

  const token = await mint({ sid: 'sid-ws-workerd' })
  store.markRevoked('sid-ws-workerd')
  const revoked = await handler(upgrade('/chat', token), testEnv)
  expect(revoked.status).toBe(401)
  expect(await revoked.json()).toMatchObject({ error: 'session_revoked' })

  const scoped = await handler(upgrade('/admin', await mint({ scope: 'ws:chat' })), testEnv)
  expect(scoped.status).toBe(403)
  expect(scoped.headers.get('www-authenticate')).toContain('scope="ws:admin"')
  expect(pairs()).toBe(0)
})

test('an accepted handshake is a 101 whose WebSocket echoes', async () => {
  const { handler, pairs } = setup()
  const response = await handler(upgrade('/admin', await mint({ scope: 'ws:admin' })), testEnv)
  expect(response.status).toBe(101)
  const socket = (response as Response & { webSocket: WorkersWebSocket | null }).webSocket!
  socket.accept()
  const reply = new Promise<string>((resolve) => socket.addEventListener('message', (e) => resolve(e.data as string)))
  socket.send('hello')
  expect(await reply).toBe('hello')
  socket.close(1000, 'done')
  expect(pairs()).toBe(1)
})
