/**
 * The wire error codes of a Caracal resource server (caracal-mandates.md, section 3), plus
 * `server_misconfigured` for a Worker whose issuer, zone or audience is only missing at request time.
 */
export type CaracalErrorCode =
  | 'missing_token'
  | 'invalid_token'
  | 'invalid_zone'
  | 'session_revoked'
  | 'delegation_stale'
  | 'insufficient_scope'
  | 'session_required'
  | 'delegation_required'
  | 'chain_mismatch'
  | 'hop_count_exceeded'
  | 'temporarily_unavailable'
  | 'server_misconfigured'

interface ErrorSpec {
  readonly status: 401 | 403 | 500 | 503
  readonly description: string
  readonly hint: string
}

/**
 * The one table of codes, statuses and client-facing texts. The texts are Caracal's own, so an agent
 * sees the same words from caracal-fetch as from Caracal's Express and ASGI middleware.
 */
export const ERROR_TABLE: Readonly<Record<CaracalErrorCode, ErrorSpec>> = {
  missing_token: {
    status: 401,
    description: 'Missing bearer token',
    hint: 'Send Authorization: Bearer <Caracal mandate>.',
  },
  invalid_token: {
    status: 401,
    description: 'Token validation failed',
    hint: 'Check issuer, audience, signature, expiry, token use, scopes, and targets.',
  },
  invalid_zone: {
    status: 401,
    description: 'Token zone validation failed',
    hint: 'Check the configured zoneId and the mandate zone_id claim.',
  },
  session_revoked: {
    status: 401,
    description: 'Session revoked',
    hint: 'Refresh the mandate or start a new authorized session.',
  },
  delegation_stale: {
    status: 401,
    description: 'Delegation graph changed',
    hint: 'Refresh the mandate so delegated authority is evaluated against the latest graph.',
  },
  insufficient_scope: {
    status: 403,
    description: 'Required scope is missing',
    hint: 'Request a mandate that includes every required scope for this route.',
  },
  session_required: {
    status: 403,
    description: 'Session required',
    hint: 'Use a resource mandate issued for a governed Session.',
  },
  delegation_required: {
    status: 403,
    description: 'Delegation required',
    hint: 'Use a mandate produced by a delegated grant flow.',
  },
  chain_mismatch: {
    status: 403,
    // Used when no application is named; Caracal names the missing one (see http/respond.ts).
    description: 'Delegation chain validation failed',
    hint: 'Check requireChainContains and the mandate delegation chain.',
  },
  hop_count_exceeded: {
    status: 403,
    description: 'Hop count exceeded',
    hint: 'Reduce delegation depth or raise maxHopCount deliberately.',
  },
  temporarily_unavailable: {
    status: 503,
    description: 'Mandate verification is temporarily unavailable',
    hint: 'Retry later with the same mandate; do not request a new one.',
  },
  server_misconfigured: {
    status: 500,
    description: 'Mandate verification is not configured',
    hint: 'The server operator must fix its configuration.',
  },
}

/**
 * Why a request was refused. `code` and `status` are what the client sees; `reason` and `cause` are
 * for operators (they reach the `onError` hook, never the response).
 *
 * @example
 * ```ts
 * withCaracal(handler, { audience, revocations, onError: (e) => console.warn(e.code, e.reason) })
 * ```
 */
export class CaracalError extends Error {
  // Fields are `declare`d and set once in the constructor: emitted as class fields they would each
  // be defined as undefined first, a cost every refusal would pay in JavaScriptCore.
  declare readonly name: 'CaracalError'
  /** The wire error code. */
  declare readonly code: CaracalErrorCode
  /** The HTTP status the client receives. */
  declare readonly status: number
  /** Operator-facing detail: which check failed and why. Never sent to the client. */
  declare readonly reason: string
  /**
   * For `insufficient_scope`, and `missing_token` on a route that requires scopes: every scope the
   * request needs (sent as `scope` in `WWW-Authenticate`).
   */
  declare readonly requiredScopes: readonly string[] | undefined
  /** For `insufficient_scope`: the required scopes the mandate lacks (named in the description). */
  declare readonly missingScopes: readonly string[] | undefined
  /** For `chain_mismatch`: the application the delegation chain lacks (named in the description). */
  declare readonly missingApplicationId: string | undefined
  /** For `temporarily_unavailable`: seconds the client should wait. */
  declare readonly retryAfter: number | undefined
  /** For `invalid_token`: the claim at fault, when one is. */
  declare readonly claim: string | undefined

  constructor(
    code: CaracalErrorCode,
    reason: string,
    extra: {
      cause?: unknown
      requiredScopes?: readonly string[]
      missingScopes?: readonly string[]
      missingApplicationId?: string
      retryAfter?: number
      claim?: string
    } = {},
  ) {
    super(`${code}: ${reason}`, extra.cause === undefined ? undefined : { cause: extra.cause })
    this.name = 'CaracalError'
    this.code = code
    this.status = ERROR_TABLE[code].status
    this.reason = reason
    this.requiredScopes = extra.requiredScopes
    this.missingScopes = extra.missingScopes
    this.missingApplicationId = extra.missingApplicationId
    this.retryAfter = extra.retryAfter
    this.claim = extra.claim
  }
}

/**
 * A one-line account of any thrown value, for a `reason`: its `message`, else its string form.
 * Never throws itself, not even for an object with no prototype or a throwing `toString`.
 */
export function messageOf(error: unknown): string {
  try {
    const message = (error as { message?: unknown } | null | undefined)?.message
    return typeof message === 'string' ? message : String(error)
  } catch {
    return Object.prototype.toString.call(error)
  }
}

/** Treats a value as a CaracalError without `instanceof`, which breaks across bundled copies. */
export function isCaracalError(value: unknown): value is CaracalError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'CaracalError' &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (value as { code: string }).code in ERROR_TABLE
  )
}
