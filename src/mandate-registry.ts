import type { Mandate } from './verify/mandate.js'

// Keyed by the Request object itself: the same object reaches the handler (no clone), and a
// WeakMap lets it go with the request.
const verified = new WeakMap<Request, Mandate>()

export function attachMandate(request: Request, mandate: Mandate): void {
  verified.set(request, mandate)
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
  const mandate = verified.get(request)
  if (mandate === undefined) {
    throw new Error(
      'getMandate: this request carries no verified Caracal mandate (its path is excluded, or the handler is not wrapped by withCaracal)',
    )
  }
  return mandate
}

/** Like `getMandate`, but undefined instead of throwing (for excluded paths that may carry one). */
export function findMandate(request: Request): Mandate | undefined {
  return verified.get(request)
}
