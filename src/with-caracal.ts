import { Authenticator, type CaracalOptions } from './authenticator.js'
import { attachMandate } from './mandate-registry.js'

/** A wrapped Fetch handler: the handler's own signature, plus `warmup()`. */
export interface CaracalFetchHandler<Args extends unknown[]> {
  (request: Request, ...rest: Args): Promise<Response>
  /**
   * Fetches the zone JWKS now, so the first request does not pay for it. Pass the Workers `env`
   * when issuer or zone come from it. Rejects with a CaracalError when the keys cannot be had.
   */
  warmup(env?: unknown): Promise<void>
}

/**
 * Wraps a Fetch handler so it runs only for requests that carry a valid, unrevoked Caracal mandate
 * meeting the route's requirements. Other requests get Caracal's 401/403 (or 503 when keys or the
 * revocation store cannot be reached) and the handler does not run.
 *
 * Extra handler arguments (Workers `env, ctx`, Bun `server`, Deno `info`) pass through untouched, and
 * the handler receives the very same `Request` object.
 *
 * @example
 * ```ts
 * import { withCaracal, getMandate, MemoryRevocationStore } from 'caracal-fetch'
 *
 * export default {
 *   fetch: withCaracal((request) => Response.json({ sub: getMandate(request).sub }), {
 *     audience: 'resource://billing-api',
 *     revocations: new MemoryRevocationStore(),
 *     requiredScopes: ['billing:read'],
 *   }),
 * }
 * ```
 */
export function withCaracal<Args extends unknown[]>(
  handler: (request: Request, ...rest: Args) => Response | Promise<Response>,
  options: CaracalOptions,
): CaracalFetchHandler<Args> {
  if (typeof handler !== 'function')
    throw new TypeError('withCaracal: the first argument must be a fetch handler function')
  const auth = new Authenticator('withCaracal', options)
  const wrapped = async (request: Request, ...rest: Args): Promise<Response> => {
    const outcome = await auth.authenticate(request, rest[0])
    if (outcome.kind === 'refused') return outcome.response
    if (outcome.kind === 'verified') attachMandate(request, outcome.mandate)
    return handler(request, ...rest)
  }
  return Object.assign(wrapped, { warmup: (env?: unknown) => auth.warmup(env) })
}
