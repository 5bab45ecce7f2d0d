/**
 * What every topic of the core contract shares: a handler guarded by `withCaracal` that trusts the
 * shared development zone (test/support/fixture.ts) and counts its calls, and the check that a
 * refusal has Caracal's status, JSON body and headers. Portable: the package by name, no runtime API.
 */
import { MemoryRevocationStore, findMandate, getMandate, withCaracal, type CaracalOptions } from 'caracal-fetch'
import { createDevIssuer, type DevIssuer } from 'caracal-fetch/testing'
import { DEV_ZONE, ORIGIN, trusting } from '../../support/fixture.js'
import { equal, match, ok, type ContractCase } from '../assert.js'

export { AUDIENCE, ORIGIN } from '../../support/fixture.js'

/** Options for a handler that trusts `dev`'s zone, with a fresh memory store. */
export function devOptions(dev: DevIssuer): CaracalOptions {
  return { ...trusting(dev), revocations: new MemoryRevocationStore() }
}

export interface Fixture {
  dev: DevIssuer
  store: MemoryRevocationStore
  calls: number
  call(token: string | undefined, init?: { path?: string; method?: string; authorization?: string }): Promise<Response>
}

export async function fixture(overrides: Partial<CaracalOptions> = {}): Promise<Fixture> {
  const dev = await createDevIssuer(DEV_ZONE)
  const store = new MemoryRevocationStore()
  const f: Fixture = {
    dev,
    store,
    calls: 0,
    call: async (token, init = {}) => {
      const headers = new Headers()
      if (init.authorization !== undefined) headers.set('authorization', init.authorization)
      else if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
      return handler(new Request(`${ORIGIN}${init.path ?? '/invoices'}`, { method: init.method ?? 'GET', headers }))
    },
  }
  const handler = withCaracal(
    (request) => {
      f.calls++
      // Excluded paths carry no mandate; every other path must.
      if (new URL(request.url).pathname.startsWith('/healthz'))
        return Response.json({ excluded: !findMandate(request) })
      const mandate = getMandate(request)
      return Response.json({ sub: mandate.sub, scopes: mandate.scopes, agent: mandate.agentSessionId ?? null })
    },
    { ...trusting(dev), revocations: store, ...overrides },
  )
  return f
}

export async function expectRefusal(res: Response, status: number, code: string, f: Fixture): Promise<void> {
  equal(res.status, status, 'status')
  equal(f.calls, 0, 'handler calls')
  equal(res.headers.get('content-type'), 'application/json', 'content-type')
  const body = (await res.json()) as Record<string, unknown>
  equal(body['error'], code, 'error code')
  ok(typeof body['error_description'] === 'string' && body['error_description'].length > 0, 'error_description')
  ok(typeof body['error_hint'] === 'string', 'error_hint')
  if (status === 401 || status === 403) {
    const challenge = res.headers.get('www-authenticate')
    if (code === 'missing_token') equal(challenge, 'Bearer', 'WWW-Authenticate without a token')
    else match(challenge, new RegExp(`^Bearer error="${code}", error_description="[^"]+"`), 'WWW-Authenticate')
  }
  if (status === 503) match(res.headers.get('retry-after'), /^\d+$/, 'Retry-After')
}

export function b64url(value: unknown): string {
  const bytes = new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value))
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function refusal(
  name: string,
  status: number,
  code: string,
  act: (f: Fixture) => Promise<Response>,
  options?: Partial<CaracalOptions>,
): ContractCase {
  return {
    name,
    async run() {
      const f = await fixture(options)
      await expectRefusal(await act(f), status, code, f)
    },
  }
}

export const nowS = (): number => Math.floor(Date.now() / 1000)
