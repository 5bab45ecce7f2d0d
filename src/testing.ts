/**
 * A local development issuer: a P-256 key pair, its JWKS, and `mint()` for Caracal-shaped mandates.
 * For tests, demos and local development only: it is not an STS and enforces no policy.
 *
 * @example
 * ```ts
 * import { createDevIssuer } from 'caracal-fetch/testing'
 * const dev = await createDevIssuer({ audience: 'resource://billing-api' })
 * const handler = withCaracal(app, { issuer: dev.issuer, zoneId: dev.zoneId, fetch: dev.fetch, audience, revocations })
 * const token = await dev.mint({ scope: 'billing:read' })
 * ```
 */
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose'
import type { JsonWebKeySet } from './verify/jwks.js'
import { jwksUrl } from './verify/jwks.js'

export interface DevIssuerOptions {
  /** Issuer URL written into `iss`. @default 'http://127.0.0.1/dev-sts' */
  issuer?: string
  /** Zone of the minted mandates. @default 'zone-dev' */
  zoneId?: string
  /** Audience of the minted mandates. @default 'resource://dev' */
  audience?: string
}

/** Options of one `mint()` call. */
export interface MintOptions {
  /** Lifetime in seconds. @default 300 */
  expiresIn?: number
  /** Sign with this kid's key (see `rotate()`); also written into the header. */
  kid?: string
  /** Header fields to add or override (e.g. `{ alg: 'ES384' }` to forge a bad header). */
  header?: Record<string, unknown>
}

export interface DevIssuer {
  readonly issuer: string
  readonly zoneId: string
  readonly audience: string
  /** kid of the active key. */
  readonly kid: string
  /** The public JWK set (active key, and the previous one after `rotate()`). */
  readonly jwks: JsonWebKeySet
  /** Number of JWKS requests served through `fetch` / `handleJwks`. */
  readonly jwksRequests: number
  /** A signed mandate: Caracal's claims with defaults, overridden by `claims` (undefined removes a claim). */
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>
  /** Makes a new active key; the old one stays in the JWKS as the previous key. */
  rotate(): Promise<string>
  /** A fetch that serves this issuer's JWKS in process: pass it as the `fetch` option. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** Answers a JWKS request for this issuer, or undefined when `request` is something else. */
  handleJwks(request: Request): Response | undefined
}

interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = crypto.randomUUID()
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  return { kid, privateKey: privateKey as CryptoKey, publicJwk }
}

/** Creates a development issuer with a fresh key. */
export async function createDevIssuer(options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const issuer = options.issuer ?? 'http://127.0.0.1/dev-sts'
  const zoneId = options.zoneId ?? 'zone-dev'
  const audience = options.audience ?? 'resource://dev'
  const keys: SigningKey[] = [await newKey()]
  const path = new URL(jwksUrl(issuer, zoneId)).pathname
  let served = 0

  const handleJwks = (request: Request): Response | undefined => {
    const url = new URL(request.url)
    if (url.pathname !== path) return undefined
    served++
    if (url.searchParams.get('zone_id') !== zoneId) {
      return Response.json({ error: 'invalid_request', error_description: 'unknown zone_id' }, { status: 400 })
    }
    return Response.json(
      { keys: keys.slice(0, 2).map((k) => k.publicJwk) },
      { headers: { 'cache-control': 'public, max-age=300, must-revalidate' } },
    )
  }

  const dev: DevIssuer = {
    issuer,
    zoneId,
    audience,
    get kid() {
      return keys[0]!.kid
    },
    get jwks() {
      return { keys: keys.slice(0, 2).map((k) => k.publicJwk) }
    },
    get jwksRequests() {
      return served
    },
    async mint(claims = {}, mintOptions = {}) {
      const now = Math.floor(Date.now() / 1000)
      const key = mintOptions.kid === undefined ? keys[0]! : (keys.find((k) => k.kid === mintOptions.kid) ?? keys[0]!)
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
    },
    async rotate() {
      keys.unshift(await newKey())
      keys.length = Math.min(keys.length, 2)
      return keys[0]!.kid
    },
    async fetch(input, init) {
      const request = new Request(input, init)
      return handleJwks(request) ?? new Response('not found', { status: 404 })
    },
    handleJwks,
  }
  return dev
}
