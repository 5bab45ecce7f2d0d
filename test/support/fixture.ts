/**
 * The one development zone the tests trust, shared by the unit tests, the contract suites, the
 * runtime runners and the integration tests. It holds who trusts whom and how a request carries a
 * token, and imports nothing from the package: each layer brings the code it tests (src/ for
 * test/unit, the built package by name elsewhere), so the same values serve both. Portable: no
 * Node, Bun or Deno API.
 */

/** The audience every test resource server expects. */
export const AUDIENCE = 'resource://billing-api'
/** The development issuer's URL. No request reaches it: its JWKS is served through `fetch`. */
export const ISSUER = 'https://sts.example'
/** The zone the development issuer signs for and the tests trust. */
export const ZONE_ID = 'zone-a'
/** The origin test requests are addressed to. */
export const ORIGIN = 'https://api.example'

/** `createDevIssuer` options for the shared zone: `createDevIssuer(DEV_ZONE)`. */
export const DEV_ZONE = { issuer: ISSUER, zoneId: ZONE_ID, audience: AUDIENCE } as const

/** The part of a development issuer a verifier needs to trust it. */
export interface TrustedIssuer {
  readonly issuer: string
  readonly zoneId: string
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
}

/**
 * The options that make a verifier trust `dev` for {@link AUDIENCE}, its JWKS served in process;
 * spread them into `withCaracal`'s options next to the store and requirements a test chooses.
 */
export function trusting(dev: TrustedIssuer): {
  audience: string
  issuer: string
  zoneId: string
  fetch: TrustedIssuer['fetch']
} {
  return { audience: AUDIENCE, issuer: dev.issuer, zoneId: dev.zoneId, fetch: dev.fetch }
}

/** A request to `path` on {@link ORIGIN} that carries `token` as its bearer token. */
export function bearerRequest(token: string, path = '/x', init: RequestInit = {}): Request {
  const headers = new Headers(init.headers)
  headers.set('authorization', `Bearer ${token}`)
  return new Request(`${ORIGIN}${path}`, { ...init, headers })
}
