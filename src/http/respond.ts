import { ERROR_TABLE, type CaracalError } from '../errors.js'

export interface RenderOptions {
  /** RFC 9728 protected resource metadata URL, advertised in `WWW-Authenticate`. */
  readonly resourceMetadata: string | undefined
}

// RFC 6750 section 3: quoted-string values; a quote or backslash would break the header.
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`
}

function wwwAuthenticate(error: CaracalError, description: string, options: RenderOptions): string {
  const params: string[] = []
  // RFC 6750 section 3.1: no error code when the request carried no token at all.
  if (error.code !== 'missing_token') {
    params.push(`error=${quoted(error.code)}`, `error_description=${quoted(description)}`)
    if (error.code === 'insufficient_scope' && error.requiredScopes !== undefined) {
      params.push(`scope=${quoted(error.requiredScopes.join(' '))}`)
    }
  }
  if (options.resourceMetadata !== undefined) params.push(`resource_metadata=${quoted(options.resourceMetadata)}`)
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`
}

/** The client-facing description: Caracal's generic text, with the missing scope named (as Caracal does). */
function describe(error: CaracalError): string {
  if (error.code === 'insufficient_scope' && error.missingScopes !== undefined) {
    return `Missing scope: ${error.missingScopes.join(' ')}`
  }
  if (error.code === 'server_misconfigured') return `${ERROR_TABLE.server_misconfigured.description}: ${error.reason}`
  return ERROR_TABLE[error.code].description
}

/**
 * The one place a refusal becomes a Response: JSON body `{error, error_description, error_hint}`,
 * `WWW-Authenticate` on every 401 and 403, `Retry-After` on 503, and no body for HEAD.
 */
export function errorResponse(error: CaracalError, method: string, options: RenderOptions): Response {
  const description = describe(error)
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' })
  if (error.status === 401 || error.status === 403)
    headers.set('www-authenticate', wwwAuthenticate(error, description, options))
  if (error.status === 503) headers.set('retry-after', String(Math.max(1, Math.ceil(error.retryAfter ?? 5))))
  const body =
    method === 'HEAD'
      ? null
      : JSON.stringify({ error: error.code, error_description: description, error_hint: ERROR_TABLE[error.code].hint })
  return new Response(body, { status: error.status, headers })
}
