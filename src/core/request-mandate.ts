/**
 * The verified mandate a request carries from the adapter that verified it to the handler that
 * reads it with `getMandate`.
 */
import type { Mandate } from '../verify/mandate.js'

// The mandate rides on the Request object itself, under a symbol private to this module: the same
// object reaches the handler (no clone), and an own property is far cheaper per request than a
// WeakMap entry (see BENCHMARKS.md). Code outside this module cannot name the symbol, so it cannot
// mark a request verified. A request that takes no new properties (frozen, or a Proxy that
// refuses them) falls back to a WeakMap.
const MANDATE: unique symbol = Symbol('caracal-fetch.mandate')
const fallback = new WeakMap<Request, Mandate>()

type Carrier = Request & { [MANDATE]?: Mandate }

/** Records the verified mandate of `request` for `getMandate`. */
export function attachMandate(request: Request, mandate: Mandate): void {
  try {
    ;(request as Carrier)[MANDATE] = mandate
  } catch {
    fallback.set(request, mandate)
  }
}

/**
 * The verified mandate of a request that `withCaracal` (or the Hono middleware) let through.
 * Throws when the request was not verified: an excluded path, or a handler not wrapped at all.
 *
 * @example
 * ```ts
 * withCaracal((request) => Response.json({ sub: getMandate(request).sub }), options)
 * ```
 */
export function getMandate(request: Request): Mandate {
  const mandate = findMandate(request)
  if (mandate === undefined) {
    throw new Error(
      'getMandate: this request carries no verified Caracal mandate (its path is excluded, or the handler is not wrapped by withCaracal)',
    )
  }
  return mandate
}

/** Like `getMandate`, but undefined instead of throwing (for excluded paths that may carry one). */
export function findMandate(request: Request): Mandate | undefined {
  return (request as Carrier)[MANDATE] ?? fallback.get(request)
}
