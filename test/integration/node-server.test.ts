/**
 * Node quirk: @hono/node-server replaces the global Request and Response with its own lighter
 * classes when it starts serving. withCaracal and the Hono middleware must keep working behind it
 * over real loopback HTTP: no `instanceof` checks, the same Request object reaching the handler,
 * error responses built with whatever `Response` is global by then.
 */
import { serve } from '@hono/node-server'
import type { Server } from 'node:http'
import { afterAll, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'
import { servedCases, type ServingRuntime } from '../runtime/served.js'
import { DEV_ZONE, trusting } from '../support/fixture.js'

const OriginalRequest = globalThis.Request
const OriginalResponse = globalThis.Response
const servers = new Set<Server>()

const nodeServer: ServingRuntime = {
  name: '@hono/node-server',
  serve(handler) {
    return new Promise((resolve) => {
      const server = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, (info) => {
        resolve({
          origin: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              servers.delete(server as Server)
              ;(server as Server).closeAllConnections?.()
              server.close(() => done())
            }),
        })
      }) as Server
      servers.add(server)
    })
  },
  // node-server passes `{ incoming, outgoing }` as the handler's second argument (Hono's c.env).
  isExtraArgument: (extra) => typeof extra === 'object' && extra !== null && 'incoming' in extra && 'outgoing' in extra,
}

afterAll(() => {
  for (const server of servers) server.close()
})

for (const c of servedCases(nodeServer)) test(c.name, () => c.run())

test('the globals are swapped while serving, and withCaracal answers with either Response class', async () => {
  const dev = await createDevIssuer(DEV_ZONE)
  const handler = withCaracal(() => new OriginalResponse('from the original class'), {
    ...trusting(dev),
    revocations: new MemoryRevocationStore(),
  })
  const server = await nodeServer.serve(handler)
  try {
    expect(globalThis.Request).not.toBe(OriginalRequest)
    expect(globalThis.Response).not.toBe(OriginalResponse)
    const refused = await fetch(`${server.origin}/`, { headers: { authorization: 'Bearer x.y.z' } })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' })
    const ok = await fetch(`${server.origin}/`, { headers: { authorization: `Bearer ${await dev.mint()}` } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('from the original class')
    // A Request made with the original class (e.g. by code that captured it early) still verifies.
    const direct = await handler(
      new OriginalRequest('http://x/', { headers: { authorization: `Bearer ${await dev.mint()}` } }),
    )
    expect(direct.status).toBe(200)
  } finally {
    await server.close()
  }
})
