/**
 * OpenTelemetry tracing for `withCaracal` and the Hono middleware: `telemetry: tracing()` gives
 * one span per verification and a child span per JWKS download. `@opentelemetry/api` is an
 * optional peer dependency reached only through `caracal-fetch/otel`; the root entry holds no
 * OpenTelemetry code, and an app that does not pass `telemetry` runs none.
 *
 * Spans are recorded once a tracer provider is registered (the OpenTelemetry SDK's `register()`),
 * before or after the wrapper is built; until then the API's no-op tracer costs next to nothing.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span, type TracerProvider } from '@opentelemetry/api'
import type { Telemetry, VerificationResult, VerificationTrace } from './core/observe.js'
import type { FetchLike } from './verify/jwks.js'

/** Options of `tracing()`. */
export interface TracingOptions {
  /** The provider to take the tracer from. @default the globally registered one */
  tracerProvider?: TracerProvider
}

/** The instrumentation scope spans are recorded under. */
export const TRACER_NAME = 'caracal-fetch'

/** Span names and attribute keys, for dashboards and tests. */
export const SPAN = Object.freeze({
  verify: 'caracal.verify',
  jwksFetch: 'caracal.jwks.fetch',
  outcome: 'caracal.outcome',
  errorCode: 'caracal.error.code',
  cacheHit: 'caracal.cache_hit',
  storeMs: 'caracal.store.duration_ms',
  totalMs: 'caracal.duration_ms',
})

/**
 * OpenTelemetry tracing, passed as the `telemetry` option. The verification span carries the
 * outcome, the error code of a refusal, whether the verified-mandate cache answered, and the
 * revocation lookup's duration; a refusal that points at the deployment (5xx) sets its status to
 * ERROR. A JWKS download is a child span (`url.full`, `http.response.status_code`) where a
 * context manager carries the active span across `await` (Node's AsyncLocalStorage one; on
 * Workers, with `nodejs_compat`); without one it is a span of its own.
 *
 * @example
 * ```ts
 * import { withCaracal } from 'caracal-fetch'
 * import { tracing } from 'caracal-fetch/otel'
 *
 * export default { fetch: withCaracal(handler, { audience, revocations, telemetry: tracing() }) }
 * ```
 */
export function tracing(options: TracingOptions = {}): Telemetry {
  if (typeof options !== 'object' || options === null) throw new TypeError('tracing: options must be an object')
  for (const key of Object.keys(options)) {
    if (key !== 'tracerProvider')
      throw new TypeError(`tracing: unknown option \`${key}\`; the one option is \`tracerProvider\``)
  }
  const provider = options.tracerProvider
  if (provider !== undefined && typeof provider?.getTracer !== 'function') {
    throw new TypeError('tracing: `tracerProvider` must be an OpenTelemetry TracerProvider')
  }
  // The global API hands out a proxy tracer that follows a provider registered later.
  const tracer = (provider ?? trace.getTracerProvider()).getTracer(TRACER_NAME)

  return {
    startVerification(request: Request): VerificationTrace {
      const span = tracer.startSpan(SPAN.verify, { kind: SpanKind.INTERNAL })
      if (span.isRecording()) span.setAttribute('http.request.method', request.method)
      const active = trace.setSpan(context.active(), span)
      return {
        run: (work) => context.with(active, work),
        end: (result) => endVerification(span, result),
      }
    },
    wrapJwksFetch(fetch: FetchLike): FetchLike {
      return (input, init) => {
        const span = tracer.startSpan(SPAN.jwksFetch, { kind: SpanKind.CLIENT, attributes: { 'url.full': input } })
        let pending: Promise<Response>
        try {
          pending = context.with(trace.setSpan(context.active(), span), () => fetch(input, init))
        } catch (error) {
          pending = Promise.reject(error)
        }
        return pending.then(
          (response) => {
            span.setAttribute('http.response.status_code', response.status)
            if (response.status >= 400)
              span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.status}` })
            span.end()
            return response
          },
          (error: unknown) => {
            span.recordException(error instanceof Error ? error : String(error))
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: error instanceof Error ? error.message : String(error),
            })
            span.end()
            throw error
          },
        )
      }
    },
  }
}

function endVerification(span: Span, result: VerificationResult): void {
  if (span.isRecording()) {
    span.setAttribute(SPAN.outcome, result.outcome)
    span.setAttribute(SPAN.cacheHit, result.timings.cacheHit)
    span.setAttribute(SPAN.storeMs, result.timings.storeMs)
    span.setAttribute(SPAN.totalMs, result.timings.totalMs)
    const error = result.error
    if (error !== undefined) {
      span.setAttribute(SPAN.errorCode, error.code)
      // A refusal of the client is the verifier doing its job; a 5xx is a failure of the deployment.
      if (error.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: error.reason })
    }
  }
  span.end()
}

export type { Telemetry, VerificationResult, VerificationTrace, VerificationTimings } from './core/observe.js'
