/**
 * WebSocket upgrades behind withCaracal, in the runtime's own server: a refused handshake gets
 * Caracal's 401/403 (never a 101, and the upgrade code never runs); an accepted one opens and
 * echoes. Portable: each runner passes how its runtime upgrades (Bun's server.upgrade,
 * Deno.upgradeWebSocket, ws on a Node server).
 */
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { createDevIssuer, type DevIssuer } from 'caracal-fetch/testing'
import { equal, ok, type ContractCase } from '../contract/assert.js'
import type { Served, ServedHandler } from './served.js'
import { handshake } from './websocket-handshake.js'

export interface UpgradingRuntime {
  /** Shown in case names, e.g. 'Bun.serve + server.upgrade'. */
  readonly name: string
  /**
   * Serves on 127.0.0.1 a handler that upgrades every request to a WebSocket echoing text
   * messages, wrapped by `protect` (withCaracal). `upgrades()` counts the upgrades it started.
   */
  serveEcho(protect: (handler: ServedHandler) => ServedHandler): Promise<Served & { upgrades(): number }>
}

const AUDIENCE = 'resource://websocket'

async function withEchoServer(
  runtime: UpgradingRuntime,
  check: (server: Served & { upgrades(): number }, dev: DevIssuer, store: MemoryRevocationStore) => Promise<void>,
): Promise<void> {
  const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-ws', audience: AUDIENCE })
  const store = new MemoryRevocationStore()
  const server = await runtime.serveEcho((handler) =>
    withCaracal(handler, {
      audience: AUDIENCE,
      issuer: dev.issuer,
      zoneId: dev.zoneId,
      fetch: dev.fetch,
      revocations: store,
      routes: { '/admin': { requiredScopes: ['ws:admin'] } },
    }),
  )
  try {
    await check(server, dev, store)
  } finally {
    await server.close()
  }
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

export function websocketCases(runtime: UpgradingRuntime): ContractCase[] {
  return [
    {
      name: `${runtime.name}: a handshake without a mandate, with a bad one or a revoked one is 401, never a 101`,
      async run() {
        await withEchoServer(runtime, async (server, dev, store) => {
          const none = await handshake(server.origin, '/chat', {})
          equal(none.status, 401, 'no token')
          equal(none.headers['www-authenticate'], 'Bearer', 'challenge without a token')
          equal(JSON.parse(none.body).error, 'missing_token', 'body')

          const forged = await handshake(server.origin, '/chat', bearer('a.b.c'))
          equal(forged.status, 401, 'bad token')
          ok(forged.headers['www-authenticate']?.includes('error="invalid_token"'), 'invalid_token challenge')

          const token = await dev.mint({ sid: 'sid-ws-revoked' })
          store.markRevoked('sid-ws-revoked')
          const revoked = await handshake(server.origin, '/chat', bearer(token))
          equal(revoked.status, 401, 'revoked')
          equal(JSON.parse(revoked.body).error, 'session_revoked', 'revoked body')
          equal(server.upgrades(), 0, 'the upgrade code never ran')
        })
      },
    },
    {
      name: `${runtime.name}: a handshake missing the route's scope is 403 insufficient_scope, never a 101`,
      async run() {
        await withEchoServer(runtime, async (server, dev) => {
          const refused = await handshake(server.origin, '/admin', bearer(await dev.mint({ scope: 'ws:chat' })))
          equal(refused.status, 403, 'status')
          equal(
            refused.headers['www-authenticate'],
            'Bearer error="insufficient_scope", error_description="Missing scope: ws:admin", scope="ws:admin"',
            'challenge',
          )
          equal(server.upgrades(), 0, 'the upgrade code never ran')
        })
      },
    },
    {
      name: `${runtime.name}: a handshake with a valid mandate opens, and the socket echoes`,
      async run() {
        await withEchoServer(runtime, async (server, dev) => {
          const chat = await handshake(server.origin, '/chat', bearer(await dev.mint()), 'hello')
          equal(chat.status, 101, 'status')
          equal(chat.reply, 'hello', 'echo over the open socket')
          const admin = await handshake(server.origin, '/admin', bearer(await dev.mint({ scope: 'ws:admin' })), 'root')
          equal(admin.status, 101, 'admin status')
          equal(admin.reply, 'root', 'admin echo')
          equal(server.upgrades(), 2, 'upgrades')
        })
      },
    },
  ]
}
