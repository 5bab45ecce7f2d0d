/**
 * Observation hooks: `onVerified` for metrics and `telemetry` for tracing. Both are opt-in; when
 * neither is configured the authenticate pipeline takes its plain path and nothing here runs.
 * This module holds no tracing library's code: `caracal-fetch/otel` implements `Telemetry` with
 * OpenTelemetry, and any other tracer can implement it too.
 */
import { isPromise } from '../async.js'
import type { CaracalError } from '../errors.js'
import type { FetchLike } from '../verify/jwks.js'
import type { Mandate } from '../verify/mandate.js'

/** How long one verified request took, for metrics. */
export interface VerificationTimings {
  /** From the start of authentication to the verdict, in ms. */
  readonly totalMs: number
  /** True when the verified-mandate cache answered, so no signature was checked. */
  readonly cacheHit: boolean
  /** The revocation lookup, in ms (close to 0 for a synchronous store such as the memory one). */
  readonly storeMs: number
}

/**
 * Receives every verified request with its mandate and timings (refusals go to `onError`). What it
 * throws, or the promise it returns rejects with, is ignored; the response does not wait for it.
 *
 * @example
 * ```ts
 * onVerified: (mandate, request, t) => histogram.record(t.totalMs, { cache_hit: t.cacheHit })
 * ```
 */
export type VerifiedHook = (mandate: Mandate, request: Request, timings: VerificationTimings) => void

/** How one traced verification ended. */
export interface VerificationResult {
  readonly outcome: 'verified' | 'refused'
  /** The refusal, when refused. */
  readonly error: CaracalError | undefined
  readonly timings: VerificationTimings
}

/** One verification being traced, as `Telemetry.startVerification` returns it. */
export interface VerificationTrace {
  /** Runs the verification in the trace's context, so work it starts (a JWKS fetch) is its child. */
  run<T>(work: () => T): T
  /** Called once, when the verification ends. */
  end(result: VerificationResult): void
}

/**
 * A tracing integration: `tracing()` from `caracal-fetch/otel` is one. The root package calls it
 * only when it is configured.
 */
export interface Telemetry {
  /** Called when the verification of `request` starts (excluded paths are not verified). */
  startVerification(request: Request): VerificationTrace
  /** Wraps the fetch of the zone JWKS, so each download can be traced. */
  wrapJwksFetch?(fetch: FetchLike): FetchLike
}

/** The observation options, validated. */
export interface Observation {
  readonly onVerified: VerifiedHook | undefined
  readonly telemetry: Telemetry | undefined
}

/** Validates `onVerified` and `telemetry`; undefined when neither is set (the plain path). */
export function resolveObservation(where: string, onVerified: unknown, telemetry: unknown): Observation | undefined {
  if (onVerified !== undefined && typeof onVerified !== 'function') {
    throw new TypeError(`${where}: \`onVerified\` must be a function (mandate, request, timings) => void`)
  }
  if (telemetry !== undefined) {
    const t = telemetry as Partial<Telemetry> | null
    if (
      typeof t !== 'object' ||
      t === null ||
      typeof t.startVerification !== 'function' ||
      (t.wrapJwksFetch !== undefined && typeof t.wrapJwksFetch !== 'function')
    ) {
      throw new TypeError(
        `${where}: \`telemetry\` must be a Telemetry object, e.g. tracing() from 'caracal-fetch/otel'`,
      )
    }
  }
  if (onVerified === undefined && telemetry === undefined) return undefined
  return Object.freeze({ onVerified: onVerified as VerifiedHook | undefined, telemetry: telemetry as Telemetry })
}

/** A monotonic clock where the runtime has one (Workers advance it only across I/O). */
export const elapsedClock: () => number =
  typeof globalThis.performance?.now === 'function' ? () => performance.now() : () => Date.now()

/** The trace of one verification, if tracing is on and the tracer did not throw (it must not refuse a request). */
export function startTrace(observation: Observation, request: Request): VerificationTrace | undefined {
  if (observation.telemetry === undefined) return undefined
  try {
    return observation.telemetry.startVerification(request)
  } catch {
    return undefined
  }
}

/** Calls a user hook so that neither its throw nor its rejection can change the response. */
export function callIgnoringFailure(run: () => unknown): void {
  try {
    const result = run()
    if (isPromise(result)) result.then(undefined, () => {})
  } catch {
    // ignored: an operator's metrics must not change what the client gets
  }
}
