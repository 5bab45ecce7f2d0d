/** Refusal rendering: a CaracalError becomes Caracal's JSON body, `WWW-Authenticate` and `Retry-After`. */
import { ERROR_TABLE, type CaracalError } from '../errors.js'

export interface RenderOptions {
  /** RFC 9728 protected resource metadata URL, advertised in `WWW-Authenticate`. */
  readonly resourceMetadata: string | undefined
}

// RFC 6750 section 3: quoted-string values; a quote or backslash would break the header, and a
// header value cannot carry characters outside Latin-1 at all (Response would throw), so anything
// beyond printable ASCII is percent-encoded.
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '').replace(/[^\x20-\x7e]+/g, (run) => encodeURIComponent(run))}"`
}

function wwwAuthenticate(error: CaracalError, description: string, options: RenderOptions): string {
  const params: string[] = []
  // RFC 6750 section 3.1: no error code when the request carried no token at all; but the scopes
  // it will need, which the MCP authorization spec asks a server to name on that 401 too.
  if (error.code !== 'missing_token') {
    params.push(`error=${quoted(error.code)}`, `error_description=${quoted(description)}`)
  }
  if (
    (error.code === 'insufficient_scope' || error.code === 'missing_token') &&
    error.requiredScopes !== undefined &&
    error.requiredScopes.length > 0
  ) {
    params.push(`scope=${quoted(error.requiredScopes.join(' '))}`)
  }
  if (options.resourceMetadata !== undefined) params.push(`resource_metadata=${quoted(options.resourceMetadata)}`)
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`
}

/**
 * The client-facing description: Caracal's generic text, with the missing scope named (as Caracal
 * does). Nothing else of the reason: it may name the server's configuration, and goes to `onError`.
 */
function describe(error: CaracalError): string {
  if (error.code === 'insufficient_scope' && error.missingScopes !== undefined) {
    return `Missing scope: ${error.missingScopes.join(' ')}`
  }
  if (error.code === 'chain_mismatch' && error.missingApplicationId !== undefined) {
    return `Delegation chain missing application: ${error.missingApplicationId}`
  }
  return ERROR_TABLE[error.code].description
}

/**
 * The one place a refusal becomes a Response: JSON body `{error, error_description, error_hint}`,
 * `WWW-Authenticate` on every 401 and 403, `Retry-After` on 503, and no body for HEAD.
 */
export function errorResponse(error: CaracalError, method: string, options: RenderOptions): Response {
  const rendered = render(error, options)
  // A plain record: cheaper than a Headers object to build on every refusal.
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' }
  if (rendered.challenge !== undefined) headers['www-authenticate'] = rendered.challenge
  if (error.status === 503) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter ?? 5)))
  return new Response(method === 'HEAD' ? null : rendered.body, { status: error.status, headers })
}

interface Rendered {
  readonly body: string
  readonly challenge: string | undefined
}

// Refusals repeat the same few bodies and challenges; a flood of bad tokens should not rebuild
// them for every request. Keyed by everything they are made of; bounded.
const renderings = new WeakMap<RenderOptions, Map<string, Rendered>>()

function render(error: CaracalError, options: RenderOptions): Rendered {
  const description = describe(error)
  const key = `${error.code}\n${description}\n${error.requiredScopes?.join(' ') ?? ''}`
  let byKey = renderings.get(options)
  if (byKey === undefined) renderings.set(options, (byKey = new Map()))
  let rendered = byKey.get(key)
  if (rendered === undefined) {
    rendered = {
      body: JSON.stringify({
        error: error.code,
        error_description: description,
        error_hint: ERROR_TABLE[error.code].hint,
      }),
      challenge:
        error.status === 401 || error.status === 403 ? wwwAuthenticate(error, description, options) : undefined,
    }
    if (byKey.size < 256) byKey.set(key, rendered)
  }
  return rendered
}
