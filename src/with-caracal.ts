import { Authenticator, type AuthOutcome, type CaracalOptions } from './authenticator.js'
import { isPromise } from './verify/revocation.js'
import { attachMandate } from './mandate-registry.js'
import { CaracalError } from './errors.js'

/** A wrapped Fetch handler: the handler's own signature, plus `warmup()`. */
export interface CaracalFetchHandler<Args extends unknown[]> {
  (request: Request, ...rest: Args): Response | Promise<Response>
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
  // Bun answers a handler's `undefined` with a 2xx of its own; a protected route that forgot to
  // return must not look like success. Checked by shape: `instanceof` breaks across realms.
  const checked = (response: unknown, request: Request): Response => {
    if (typeof (response as { status?: unknown } | null)?.status === 'number') return response as Response
    const got = response === null ? 'null' : typeof response
    return auth.refuse(
      new CaracalError('server_misconfigured', `the protected handler returned ${got} instead of a Response`),
      request,
    )
  }
  const checkLater = (response: Promise<unknown>, request: Request): Promise<Response> =>
    response.then((r) => checked(r, request))
  const respond = (outcome: AuthOutcome, request: Request, args: ArrayLike<unknown>): Response | Promise<Response> => {
    if (outcome.kind === 'refused') return outcome.response
    if (outcome.kind === 'verified') attachMandate(request, outcome.mandate)
    const response: Response | Promise<Response> = handler.apply(undefined, args as unknown as [Request, ...Args])
    // The common answer, told apart in one step (a Response of another realm takes the long way).
    if (response instanceof Response) return response
    return isPromise(response) ? checkLater(response, request) : checked(response, request)
  }
  // Not async: with a cached mandate and a synchronous store the handler's own result comes back
  // as it is, with no promise added (servers such as @hono/node-server take a faster path then).
  // `arguments` rather than a rest parameter: the extra arguments (env, ctx, server, info) reach
  // the handler exactly as given, with no array built and spread per request on the common path.
  const later = (outcome: Promise<AuthOutcome>, request: Request, args: unknown[]): Promise<Response> =>
    outcome.then((o) => respond(o, request, args))
  function wrapped(request: Request): Response | Promise<Response> {
    const outcome = auth.authenticate(request, arguments[1])
    if (!isPromise(outcome)) return respond(outcome, request, arguments)
    return later(outcome, request, Array.from(arguments))
  }
  return Object.assign(wrapped, { warmup: (env?: unknown) => auth.warmup(env) }) as unknown as CaracalFetchHandler<Args>
}
