/**
 * `withCaracal`: the Fetch wrapper. It authenticates each request with the core and runs the
 * handler only for a verified (or excluded) one; nothing else lives here.
 */
import { isPromise } from './async.js'
import { Authenticator, type AuthOutcome } from './core/authenticator.js'
import type { CaracalOptions } from './core/options.js'
import { attachMandate } from './core/request-mandate.js'
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
  return wrapWithAuthenticator(handler, new Authenticator('withCaracal', options))
}

/** `withCaracal` around an Authenticator built by the caller (an adapter with options of its own). */
export function wrapWithAuthenticator<Args extends unknown[]>(
  handler: (request: Request, ...rest: Args) => Response | Promise<Response>,
  auth: Authenticator,
): CaracalFetchHandler<Args> {
  // Bun answers a handler's `undefined` with a 2xx of its own; a protected route that forgot to
  // return must not look like success. Checked by shape: `instanceof` fails for a Response of
  // another realm.
  const responseOrRefusal = (response: unknown, request: Request): Response => {
    if (typeof (response as { status?: unknown } | null)?.status === 'number') return response as Response
    const got = response === null ? 'null' : typeof response
    return auth.refuse(
      new CaracalError('server_misconfigured', `the protected handler returned ${got} instead of a Response`),
      request,
    )
  }
  /** The handler's answer as sent: a Response of this realm is told apart in one step. */
  const handlerAnswer = (response: unknown, request: Request): Response | Promise<Response> => {
    if (response instanceof Response) return response
    return isPromise(response)
      ? response.then((r) => responseOrRefusal(r, request))
      : responseOrRefusal(response, request)
  }
  /** The response to send instead of the handler's, or undefined once the request may go on (its mandate attached). */
  const refusalFor = (outcome: AuthOutcome, request: Request, env: unknown): Response | undefined => {
    if (outcome.kind === 'verified') attachMandate(request, outcome, auth, env)
    else if (outcome.kind !== 'excluded') return outcome.response
    return undefined
  }
  const runHandlerAfter = (outcome: Promise<AuthOutcome>, request: Request, args: unknown[]): Promise<Response> =>
    outcome.then(
      (o) =>
        refusalFor(o, request, args[1]) ?? handlerAnswer(handler.apply(undefined, args as [Request, ...Args]), request),
    )
  // Not async: with a cached mandate and a synchronous store the handler's own result comes back
  // as it is, with no promise added (servers such as @hono/node-server take a faster path then).
  // `arguments` rather than a rest parameter: the extra arguments (env, ctx, server, info) reach
  // the handler exactly as given, and the common path builds no array to spread them.
  function wrapped(request: Request): Response | Promise<Response> {
    const outcome = auth.authenticate(request, arguments[1])
    if (isPromise(outcome)) {
      const args: unknown[] = []
      for (let i = 0; i < arguments.length; i++) args.push(arguments[i])
      return runHandlerAfter(outcome, request, args)
    }
    return (
      refusalFor(outcome, request, arguments[1]) ??
      handlerAnswer(handler.apply(undefined, arguments as unknown as [Request, ...Args]), request)
    )
  }
  return Object.assign(wrapped, { warmup: (env?: unknown) => auth.warmup(env) }) as unknown as CaracalFetchHandler<Args>
}
