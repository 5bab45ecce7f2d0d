/**
 * The development issuer: mints Caracal-shaped mandates with its own keys and serves its JWKS, in
 * process (`fetch`, `handleJwks`) or over loopback HTTP (`listen`). For tests, demos and local
 * development only: it is not an STS and enforces no policy.
 */
import { SignJWT } from 'jose'
import { rejectUnknownKeys } from '../option-keys.js'
import { jwksUrl, type JsonWebKeySet } from '../verify/jwks.js'
import { wireClaims, type MandateClaims } from './claims.js'
import { createKeyRing, type KeyRing } from './key-ring.js'
import { assertLocalUrl, isLoopbackHost } from './loopback.js'
import { serveOnLoopback } from './serve.js'
import { devStsHandler } from './sts-handler.js'

export interface DevIssuerOptions {
  /**
   * Issuer URL written into `iss`: a loopback URL, or a special-use name that cannot resolve
   * (`https://sts.example`, `.test`, `.invalid`) when the JWKS is served in process.
   * @default 'http://127.0.0.1/dev-sts'
   */
  issuer?: string
  /** Zone of the minted mandates. @default 'zone-dev' */
  zoneId?: string
  /** Audience of the minted mandates. @default 'resource://dev' */
  audience?: string
  /**
   * Risky: accept an issuer URL on a real network name. A development issuer named after a real STS
   * mints mandates that look like its own; only for a throwaway test network.
   * @default false
   */
  dangerouslyAllowNonLoopback?: boolean
}

/** Options of one `mint()` call. */
export interface MintOptions {
  /** Lifetime in seconds. @default 300 */
  expiresIn?: number
  /** Sign with this kid's key (see `rotate()`); also written into the header, even if unknown. */
  kid?: string
  /** Header fields to add or override (e.g. `{ alg: 'ES384' }` to forge a bad header). */
  header?: Record<string, unknown>
}

/** Options of `request()`: the mandate's claims (checked by name), plus the Request's own `init`. */
export type DevRequestOptions = MandateClaims & {
  /** Method, body and headers of the Request; an `Authorization` header in it is refused. */
  init?: RequestInit
  /** Lifetime of the mandate in seconds. @default 300 */
  expiresIn?: number
}

/** Options of `listen()`. */
export interface DevListenOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number
  /** Loopback address to bind. @default '127.0.0.1' */
  hostname?: string
  /** Risky: bind a non-loopback address, where anyone who reaches it can mint mandates. @default false */
  dangerouslyAllowNonLoopback?: boolean
}

/** The issuer's identity and keys, and what it can do without a server. */
export interface DevIssuerBase {
  readonly issuer: string
  readonly zoneId: string
  readonly audience: string
  /** kid of the active key. */
  readonly kid: string
  /** The public JWK set (active key, and the previous one after `rotate()`). */
  readonly jwks: JsonWebKeySet
  /** Number of JWKS requests served through `fetch` / `handleJwks` (or over HTTP, for a `DevSts`). */
  readonly jwksRequests: number
  /** A signed mandate: Caracal's claims with defaults, overridden by `claims` (undefined removes a claim). */
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>
  /**
   * A Request to `url` carrying `Authorization: Bearer <fresh mandate>`.
   * @example `await app.request(await dev.request('http://localhost/invoices', { scope: ['billing:read'] }))`
   */
  request(url: string | URL, options?: DevRequestOptions): Promise<Request>
  /** Makes a new active key; the old one stays in the JWKS as the previous key. Returns the new kid. */
  rotate(): Promise<string>
  /** A fetch that serves this issuer's JWKS in process: pass it as the `fetch` option. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** Answers a JWKS request for this issuer, or undefined when `request` is something else. */
  handleJwks(request: Request): Response | undefined
}

export interface DevIssuer extends DevIssuerBase {
  /**
   * Serves this issuer's keys over HTTP on loopback, for servers running out of process: the JWKS
   * at `{issuer}/.well-known/jwks.json?zone_id=...` and `POST {issuer}/mint`. The served issuer is
   * `http://127.0.0.1:<port>` and shares the keys (and `rotate()`) with this one.
   */
  listen(options?: DevListenOptions): Promise<DevSts>
}

/** A development STS listening on loopback. */
export interface DevSts extends DevIssuerBase {
  /** `{issuer}/.well-known/jwks.json?zone_id={zoneId}`, as the verifier fetches it. */
  readonly jwksUrl: string
  /** `{issuer}/mint`: POST a JSON object of claims, get `{ access_token, token_type, expires_in }`. */
  readonly mintUrl: string
  /** Stops the server and closes its connections. */
  close(): Promise<void>
}

interface Identity {
  readonly issuer: string
  readonly zoneId: string
  readonly audience: string
}

const ISSUER_KEYS = ['issuer', 'zoneId', 'audience', 'dangerouslyAllowNonLoopback'] as const
const MINT_KEYS = ['expiresIn', 'kid', 'header'] as const
const LISTEN_KEYS = ['port', 'hostname', 'dangerouslyAllowNonLoopback'] as const

/**
 * Creates a development issuer with a fresh key.
 *
 * @example
 * ```ts
 * import { createDevIssuer } from 'caracal-fetch/testing'
 * const dev = await createDevIssuer({ audience: 'resource://billing-api' })
 * const handler = withCaracal(app, { issuer: dev.issuer, zoneId: dev.zoneId, fetch: dev.fetch, audience, revocations })
 * const response = await handler(await dev.request('http://localhost/invoices', { scope: 'billing:read' }))
 * ```
 */
export async function createDevIssuer(options: DevIssuerOptions = {}): Promise<DevIssuer> {
  rejectUnknownKeys('createDevIssuer', options, ISSUER_KEYS)
  const identity = {
    issuer: options.issuer ?? 'http://127.0.0.1/dev-sts',
    zoneId: options.zoneId ?? 'zone-dev',
    audience: options.audience ?? 'resource://dev',
  }
  assertLocalUrl('createDevIssuer', 'issuer', identity.issuer, {
    allowed: options.dangerouslyAllowNonLoopback === true,
    reservedNamesToo: true,
  })
  const ring = await createKeyRing()
  const listen = async (listenOptions: DevListenOptions = {}): Promise<DevSts> => {
    rejectUnknownKeys('dev.listen', listenOptions, LISTEN_KEYS)
    const hostname = listenOptions.hostname ?? '127.0.0.1'
    const port = listenOptions.port ?? 0
    const allowed = listenOptions.dangerouslyAllowNonLoopback === true
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TypeError(`dev.listen: port must be an integer from 0 to 65535, got ${String(port)}`)
    }
    if (!allowed && !isLoopbackHost(hostname)) {
      throw new TypeError(
        `dev.listen: hostname ${hostname} is not a loopback address; anyone who reaches the server can mint ` +
          'mandates. Pass `dangerouslyAllowNonLoopback: true` only for a throwaway test network',
      )
    }
    let sts: DevSts | undefined
    const handler = devStsHandler(() => sts!, { anyHost: allowed })
    const server = await serveOnLoopback(handler, { hostname, port })
    const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname
    const served = { ...identity, issuer: `http://${host}:${server.port}` }
    sts = issuerView(ring, served, {
      jwksUrl: jwksUrl(served.issuer, served.zoneId),
      mintUrl: `${served.issuer}/mint`,
      close: server.close,
    })
    return sts
  }
  return issuerView(ring, identity, { listen })
}

/** The issuer-facing methods for one identity over a key ring, plus `extra` (listen, or close). */
function issuerView<Extra extends object>(ring: KeyRing, identity: Identity, extra: Extra): DevIssuerBase & Extra {
  const { issuer, zoneId, audience } = identity
  const path = new URL(jwksUrl(issuer, zoneId)).pathname
  let served = 0

  const handleJwks = (request: Request): Response | undefined => {
    const url = new URL(request.url)
    if (url.pathname !== path) return undefined
    served++
    if (url.searchParams.get('zone_id') !== zoneId) {
      return Response.json({ error: 'invalid_request', error_description: 'unknown zone_id' }, { status: 400 })
    }
    return Response.json(ring.jwks, { headers: { 'cache-control': 'public, max-age=300, must-revalidate' } })
  }

  const mint = async (claims: Record<string, unknown> = {}, mintOptions: MintOptions = {}): Promise<string> => {
    rejectUnknownKeys('dev.mint', mintOptions, MINT_KEYS)
    const now = Math.floor(Date.now() / 1000)
    const key = (mintOptions.kid === undefined ? undefined : ring.find(mintOptions.kid)) ?? ring.active
    const payload: Record<string, unknown> = {
      iss: issuer,
      aud: [audience],
      iat: now,
      exp: now + (mintOptions.expiresIn ?? 300),
      jti: crypto.randomUUID(),
      sub: 'user-dev',
      sub_type: 'user',
      client_id: 'app-dev-agent',
      zone_id: zoneId,
      sid: `sid-${crypto.randomUUID()}`,
      root_sid: `root-${crypto.randomUUID()}`,
      use: 'resource',
      scope: '',
    }
    for (const [name, value] of Object.entries(claims)) {
      if (value === undefined) delete payload[name]
      else payload[name] = value
    }
    const header = { alg: 'ES256', typ: 'JWT', kid: mintOptions.kid ?? key.kid, ...mintOptions.header }
    return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
  }

  const request = async (url: string | URL, options: DevRequestOptions = {}): Promise<Request> => {
    const claims = wireClaims('dev.request', options, ['init', 'expiresIn'])
    const headers = new Headers(options.init?.headers)
    if (headers.has('authorization')) {
      throw new TypeError('dev.request: init already has an Authorization header; use dev.mint() to build it yourself')
    }
    const token = await mint(claims, options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn })
    headers.set('authorization', `Bearer ${token}`)
    return new Request(url, { ...options.init, headers })
  }

  const view: DevIssuerBase = {
    issuer,
    zoneId,
    audience,
    get kid() {
      return ring.active.kid
    },
    get jwks() {
      return ring.jwks
    },
    get jwksRequests() {
      return served
    },
    mint,
    request,
    rotate: () => ring.rotate(),
    async fetch(input, init) {
      return handleJwks(new Request(input, init)) ?? new Response('not found', { status: 404 })
    },
    handleJwks,
  }
  return Object.assign(view, extra)
}
