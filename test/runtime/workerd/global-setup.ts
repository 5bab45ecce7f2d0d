/**
 * Runs in Node before the workerd tests: a development issuer on a random loopback port, so the
 * Worker under test fetches its JWKS over real HTTP from inside workerd. Tests mint mandates through
 * it (`POST /mint`) and read how many JWKS requests it has served (`GET /stats`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import { createDevIssuer, type DevIssuer } from '../../../src/testing.js'
import { AUDIENCE, ZONE_ID } from './constants.js'

declare module 'vitest' {
  export interface ProvidedContext {
    issuerOrigin: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let dev: DevIssuer | undefined
  let jwksRequests = 0
  let jwksDelayMs = 0

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (dev === undefined) throw new Error('issuer not ready')
    const url = new URL(req.url ?? '/', dev.issuer)
    if (req.method === 'POST' && url.pathname === '/mint') {
      let body = ''
      for await (const chunk of req) body += String(chunk)
      const input = JSON.parse(body || '{}') as { claims?: Record<string, unknown>; expiresIn?: number }
      const token = await dev.mint(
        input.claims ?? {},
        input.expiresIn === undefined ? {} : { expiresIn: input.expiresIn },
      )
      res.writeHead(200, { 'content-type': 'text/plain' }).end(token)
      return
    }
    if (req.method === 'POST' && url.pathname === '/jwks-delay') {
      jwksDelayMs = Number(url.searchParams.get('ms') ?? 0)
      res.writeHead(204).end()
      return
    }
    if (url.pathname === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jwksRequests }))
      return
    }
    const jwks = dev.handleJwks(new Request(url))
    if (jwks === undefined) {
      res.writeHead(404).end()
      return
    }
    jwksRequests++
    if (jwksDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, jwksDelayMs))
    const headers = { 'content-type': 'application/json', 'cache-control': jwks.headers.get('cache-control') ?? '' }
    res.writeHead(jwks.status, headers).end(await jwks.text())
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  dev = await createDevIssuer({ issuer: origin, zoneId: ZONE_ID, audience: AUDIENCE })
  project.provide('issuerOrigin', origin)
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
}
