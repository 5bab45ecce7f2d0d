/**
 * The default log of failures that point at the deployment rather than the client: a refusal with
 * a 5xx status (JWKS unreachable or unusable, revocation store failing or slow, misconfiguration).
 * Each distinct cause is logged at most once a minute, so an outage is seen without flooding the
 * log; 401/403 refusals are the client's business and never logged here. Only refusals reach it:
 * a verified request pays nothing.
 */
import type { CaracalError } from '../errors.js'

/** What a deployment-failure log line carries besides its message. */
export interface DeploymentLogDetails {
  /** The wire error code (`temporarily_unavailable`, `server_misconfigured`). */
  readonly code: string
  /** The HTTP status the client received. */
  readonly status: number
  /** Operator-facing reason: names the JWKS URL, the store's failure, the option at fault. */
  readonly reason: string
  /** The original exception, when there is one. */
  readonly cause: unknown
  /** The refused request's method and URL without its query (which may carry secrets). */
  readonly request: string
}

/**
 * Where deployment failures are logged: an object with `warn` (`console`, pino, a Workers logger)
 * or a function. What it throws is ignored.
 */
export type DeploymentLogger =
  | { warn(message: string, details?: DeploymentLogDetails): void }
  | ((message: string, details?: DeploymentLogDetails) => void)

/** How often one cause may be logged, in ms. */
export const DEPLOYMENT_LOG_INTERVAL_MS = 60_000

// Distinct causes remembered at once. Reasons can carry request data (an unknown kid while the
// JWKS is down), so the set is bounded: past it, a new cause waits until an old one expires.
const MAX_CAUSES = 64

/** Logs 5xx refusals, each distinct cause at most once per `DEPLOYMENT_LOG_INTERVAL_MS`. */
export class DeploymentLog {
  readonly #write: (message: string, details: DeploymentLogDetails) => void
  readonly #now: () => number
  /** Cause -> when it was last logged. */
  readonly #lastLogged = new Map<string, number>()

  constructor(logger: DeploymentLogger, now: () => number) {
    this.#write =
      typeof logger === 'function'
        ? (message, details) => logger(message, details)
        : (message, details) => logger.warn(message, details)
    this.#now = now
  }

  /** Logs `error` if it points at the deployment and its cause was not logged within the interval. */
  record(error: CaracalError, request: Request): void {
    if (error.status < 500) return
    const cause = `${error.code}\n${error.reason}`
    const now = this.#now()
    const last = this.#lastLogged.get(cause)
    if (last !== undefined && now - last < DEPLOYMENT_LOG_INTERVAL_MS) return
    if (last === undefined && !this.#makeRoom(now)) return
    this.#lastLogged.set(cause, now)
    const target = requestLine(request)
    const message =
      `caracal-fetch: ${error.status} ${error.code} (${target}): ${error.reason}` +
      ` [not logged again for ${DEPLOYMENT_LOG_INTERVAL_MS / 1000} s; pass \`onError\` or \`logger\` to handle these]`
    try {
      this.#write(message, {
        code: error.code,
        status: error.status,
        reason: error.reason,
        cause: error.cause,
        request: target,
      })
    } catch {
      // A logger that throws must not change what the client gets.
    }
  }

  /** True once there is room for one more cause: expired ones are dropped first. */
  #makeRoom(now: number): boolean {
    if (this.#lastLogged.size < MAX_CAUSES) return true
    for (const [cause, at] of this.#lastLogged) {
      if (now - at >= DEPLOYMENT_LOG_INTERVAL_MS) this.#lastLogged.delete(cause)
    }
    return this.#lastLogged.size < MAX_CAUSES
  }
}

function requestLine(request: Request): string {
  try {
    const url = new URL(request.url)
    return `${request.method} ${url.origin}${url.pathname}`
  } catch {
    return request.method
  }
}

/**
 * The log the `logger` option asks for: the given logger; `false` for none; by default
 * `console.warn`, unless an `onError` hook already receives every refusal.
 */
export function resolveDeploymentLog(
  where: string,
  logger: unknown,
  hasOnError: boolean,
  now: () => number,
): DeploymentLog | undefined {
  if (logger === false) return undefined
  if (logger === undefined) {
    const console = (globalThis as { console?: { warn?: (message: string) => void } }).console
    if (hasOnError || typeof console?.warn !== 'function') return undefined
    return new DeploymentLog((message) => console.warn!(message), now)
  }
  if (typeof logger === 'function') return new DeploymentLog(logger as DeploymentLogger, now)
  if (typeof logger === 'object' && logger !== null && typeof (logger as { warn?: unknown }).warn === 'function') {
    return new DeploymentLog(logger as DeploymentLogger, now)
  }
  throw new TypeError(
    `${where}: \`logger\` must be false, a function, or an object with a \`warn\` method (e.g. \`console\`)`,
  )
}
