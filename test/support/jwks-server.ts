import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDevIssuer, type DevIssuer } from '../../src/testing.js'
import { AUDIENCE, ZONE_ID } from './fixture.js'

/** How the next JWKS responses behave; tests change it between requests. */
export interface JwksBehaviour {
  status: number
  delayMs: number
  cacheControl: string | undefined
  /** Replaces the JSON body when set. */
  body: string | undefined
  /** Answers with a redirect to this URL when set. */
  redirectTo: string | undefined
}

export interface JwksServer {
  readonly issuer: string
  readonly dev: DevIssuer
  readonly behaviour: JwksBehaviour
  /** Every request path+query the server saw. */
  readonly requests: string[]
  close(): Promise<void>
}

/**
 * A real HTTP server on 127.0.0.1 serving a dev issuer's JWKS at
 * `{issuer}/.well-known/jwks.json?zone_id=...`, like the STS (400 without zone_id).
 */
export async function startJwksServer(
  options: { zoneId?: string; audience?: string; path?: string } = {},
): Promise<JwksServer> {
  const requests: string[] = []
  const behaviour: JwksBehaviour = {
    status: 200,
    delayMs: 0,
    cacheControl: undefined,
    body: undefined,
    redirectTo: undefined,
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? '')
    const reply = (): void => {
      if (res.destroyed) return
      // A redirect target carrying `moved=1` is served normally, so one hop can be followed.
      if (behaviour.redirectTo !== undefined && !(req.url ?? '').includes('moved=1')) {
        res.writeHead(302, { location: behaviour.redirectTo }).end()
        return
      }
      if (behaviour.status !== 200) {
        res.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end('nope')
        return
      }
      const answer = dev.handleJwks(new Request(`http://127.0.0.1:${port}${req.url ?? '/'}`))
      if (answer === undefined) {
        res.writeHead(404).end()
        return
      }
      void answer.text().then((text) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        const cc = behaviour.cacheControl ?? answer.headers.get('cache-control')
        if (cc) headers['cache-control'] = cc
        res.writeHead(answer.status, headers).end(behaviour.body ?? text)
      })
    }
    if (behaviour.delayMs > 0) setTimeout(reply, behaviour.delayMs)
    else reply()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const prefix = options.path ?? '/sts'
  const issuer = `http://127.0.0.1:${port}${prefix}`
  const dev = await createDevIssuer({
    issuer,
    zoneId: options.zoneId ?? ZONE_ID,
    audience: options.audience ?? AUDIENCE,
  })
  return {
    issuer,
    dev,
    behaviour,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
