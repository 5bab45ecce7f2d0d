/**
 * The HTTP face of the development STS, as a Fetch handler: the zone's JWKS where the verifier
 * fetches it, and `POST /mint` (a JSON object of claims in, `{ access_token }` out). Anything else
 * is a JSON 404, and a bad mint request a JSON 400, never a stack trace.
 */
import { wireClaims } from './claims.js'
import { isLoopbackHost } from './loopback.js'

/** What the handler needs from the issuer it serves. */
export interface ServedIssuer {
  readonly issuer: string
  handleJwks(request: Request): Response | undefined
  mint(claims: Record<string, unknown>, options: { expiresIn?: number }): Promise<string>
}

/** A mint body is a handful of claims; anything larger is a mistake. */
const MAX_MINT_BODY_BYTES = 64 * 1024
const MAX_LIFETIME_SECONDS = 24 * 3600

function problem(status: number, error: string, description: string): Response {
  return Response.json({ error, error_description: description }, { status, headers: { 'cache-control': 'no-store' } })
}

/**
 * `issuer` is read per request because the served issuer's URL (its port) is known only once the
 * server listens. `anyHost` turns off the loopback check of the Host header.
 */
export function devStsHandler(
  issuer: () => ServedIssuer,
  options: { anyHost: boolean },
): (request: Request) => Promise<Response> {
  return async (request) => {
    const sts = issuer()
    const jwks = sts.handleJwks(request)
    if (jwks !== undefined) return jwks
    const url = new URL(request.url)
    if (url.pathname !== `${new URL(sts.issuer).pathname.replace(/\/+$/, '')}/mint`) {
      return problem(404, 'not_found', 'the development STS serves /.well-known/jwks.json and POST /mint')
    }
    if (request.method !== 'POST') return problem(405, 'invalid_request', 'use POST to mint')
    // A web page can send simple requests to loopback: a Host that is not loopback (the request URL
    // is built from it) means DNS rebinding, and a JSON content type forces a CORS preflight this
    // server never answers.
    if (!options.anyHost && !isLoopbackHost(url.hostname)) {
      return problem(403, 'invalid_request', 'mint is served to loopback hosts only')
    }
    if (!/^application\/json\s*(?:;|$)/i.test(request.headers.get('content-type') ?? '')) {
      return problem(415, 'invalid_request', 'send the claims as content-type: application/json')
    }
    const lifetime = url.searchParams.get('expires_in')
    const expiresIn = lifetime === null ? 300 : Number(lifetime)
    if (!Number.isInteger(expiresIn) || expiresIn <= 0 || expiresIn > MAX_LIFETIME_SECONDS) {
      return problem(400, 'invalid_request', `expires_in must be whole seconds from 1 to ${MAX_LIFETIME_SECONDS}`)
    }
    const text = await request.text()
    if (new TextEncoder().encode(text).byteLength > MAX_MINT_BODY_BYTES) {
      return problem(413, 'invalid_request', `the claims exceed ${MAX_MINT_BODY_BYTES} bytes`)
    }
    let body: unknown
    try {
      body = text.trim() === '' ? {} : JSON.parse(text)
    } catch {
      return problem(400, 'invalid_request', 'the body is not JSON')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return problem(400, 'invalid_request', 'the body must be a JSON object of claims')
    }
    let claims: Record<string, unknown>
    try {
      claims = wireClaims('mint', body)
    } catch (error) {
      return problem(400, 'invalid_request', (error as Error).message)
    }
    const accessToken = await sts.mint(claims, { expiresIn })
    return Response.json(
      { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn },
      { headers: { 'cache-control': 'no-store' } },
    )
  }
}
