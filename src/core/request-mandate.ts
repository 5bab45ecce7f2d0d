/**
 * The verified mandate a request carries from the adapter that verified it to the handler that
 * reads it with `getMandate`, and to `revalidate`, which asks the same verifier again.
 */
import type { CaracalError } from '../errors.js'
import type { Mandate } from '../verify/mandate.js'
import type { VerifiedMandate } from '../verify/verified.js'

/** What verified a request, asked again by `revalidate`: the core's Authenticator. */
export interface Revalidator {
  /** Whether `revalidate` needs the request's Workers `env` (a store or identity from it). */
  readonly needsEnv: boolean
  revalidate(verified: VerifiedMandate, request: Request, env: unknown): Promise<CaracalError | undefined>
}

// The mandate rides on the Request object itself, under a symbol private to this module: the same
// object reaches the handler (no clone), and an own property is far cheaper per request than a
// WeakMap entry (see BENCHMARKS.md). Code outside this module cannot name the symbol, so it cannot
// mark a request verified. A request that takes no new properties (frozen, or a Proxy that
// refuses them) falls back to a WeakMap.
const MANDATE: unique symbol = Symbol('caracal-fetch.mandate')
const VERIFIED_BY: unique symbol = Symbol('caracal-fetch.verified-by')
const ENV: unique symbol = Symbol('caracal-fetch.env')

interface CarriedMandate {
  readonly verified: VerifiedMandate
  readonly by: Revalidator
  readonly env: unknown
}
const fallback = new WeakMap<Request, CarriedMandate>()

type Carrier = Request & { [MANDATE]?: VerifiedMandate; [VERIFIED_BY]?: Revalidator; [ENV]?: unknown }

/**
 * Records the verified mandate of `request` for `getMandate`, with what verified it and the
 * Workers `env` (if any) for `revalidate`. Shared records only: nothing is allocated per request.
 */
export function attachMandate(request: Request, verified: VerifiedMandate, by: Revalidator, env: unknown): void {
  try {
    const carrier = request as Carrier
    carrier[MANDATE] = verified
    carrier[VERIFIED_BY] = by
    if (by.needsEnv) carrier[ENV] = env
  } catch {
    fallback.set(request, { verified, by, env })
  }
}

function recordOf(request: Request): CarriedMandate | undefined {
  const verified = (request as Carrier)[MANDATE]
  if (verified !== undefined)
    return { verified, by: (request as Carrier)[VERIFIED_BY]!, env: (request as Carrier)[ENV] }
  return fallback.get(request)
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
  return ((request as Carrier)[MANDATE] ?? fallback.get(request)?.verified)?.mandate
}

/**
 * Re-runs the expiry and revocation checks for the mandate `withCaracal` (or the Hono middleware)
 * verified on `request`, against the same revocation store: resolves to `undefined` while the
 * mandate still stands, or to the `CaracalError` that now refuses it (`invalid_token` once expired,
 * `session_revoked`, `delegation_stale`, or `temporarily_unavailable` when the store cannot be
 * asked: yours to treat as a refusal or not). For long-lived connections (SSE, WebSockets) that
 * outlive the request that opened them. Route requirements are not checked again (they cannot
 * change for a verified mandate). The refusal is reported to `onError`. Throws a `TypeError` for a
 * request that was never verified (an excluded path, or a handler not wrapped), as `getMandate` does.
 *
 * @example
 * ```ts
 * const timer = setInterval(async () => {
 *   const refusal = await revalidate(request)
 *   if (refusal !== undefined) socket.close(1008, refusal.code)
 * }, 10_000)
 * ```
 */
export function revalidate(request: Request): Promise<CaracalError | undefined> {
  const record = recordOf(request)
  if (record === undefined) {
    throw new TypeError(
      'revalidate: this request carries no verified Caracal mandate (its path is excluded, or the handler is not wrapped by withCaracal)',
    )
  }
  return record.by.revalidate(record.verified, request, record.env)
}
