/** CORS preflights (Fetch standard, section 3.2.2): the one kind of request `allowPreflight` lets through unverified. */

/**
 * True for an `OPTIONS` request with `Origin` and `Access-Control-Request-Method` and no
 * credentials (`Authorization`, nor the identity header when one is configured). A browser never
 * sends credentials on a preflight, so a request that carries them is an ordinary `OPTIONS`.
 */
export function isCorsPreflight(request: Request, identityHeader: string | undefined): boolean {
  const headers = request.headers
  return (
    request.method === 'OPTIONS' &&
    headers.has('origin') &&
    headers.has('access-control-request-method') &&
    !headers.has('authorization') &&
    (identityHeader === undefined || !headers.has(identityHeader))
  )
}
