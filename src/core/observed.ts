/** `authenticate` with timings taken and reported: the path taken only when `onVerified` or `telemetry` is set. */
import { isPromise } from '../async.js'
import { extractBearer } from '../http/bearer.js'
import { tokenOfIdentityHeader } from '../http/identity-header.js'
import { checkRequirements, type ResolvedRequirements } from '../verify/requirements.js'
import type { VerifiedMandate } from '../verify/verified.js'
import { refusedOutcome, type AuthOutcome, type PipelineParts } from './auth-outcome.js'
import type { RequestContext } from './identity-context.js'
import { callIgnoringFailure, elapsedClock, startTrace, type Observation } from './observe.js'
import { checkRevocation } from './revocation.js'

/** What the observed path learns along the way, for `onVerified` and the trace. */
interface Probe {
  cacheHit: boolean
  storeMs: number
}

/** Authenticates one request as `Authenticator.authenticate` does, reporting its timings to `observation`. */
export function authenticateObserved(
  request: Request,
  env: unknown,
  checks: readonly ResolvedRequirements[],
  observation: Observation,
  parts: PipelineParts,
): AuthOutcome | Promise<AuthOutcome> {
  const started = elapsedClock()
  const probe: Probe = { cacheHit: false, storeMs: 0 }
  const trace = startTrace(observation, request)
  const outcome =
    trace === undefined
      ? observedPipeline(request, env, checks, probe, parts)
      : trace.run(() => observedPipeline(request, env, checks, probe, parts))
  const finish = (done: AuthOutcome): AuthOutcome => {
    const timings = { totalMs: elapsedClock() - started, cacheHit: probe.cacheHit, storeMs: probe.storeMs }
    const { onVerified } = observation
    if (done.kind === 'verified' && onVerified !== undefined) {
      callIgnoringFailure(() => onVerified(done.mandate, request, timings))
    }
    if (trace !== undefined) {
      const error = done.kind === 'refused' ? done.error : undefined
      callIgnoringFailure(() => trace.end({ outcome: error === undefined ? 'verified' : 'refused', error, timings }))
    }
    return done
  }
  return isPromise(outcome) ? outcome.then(finish) : finish(outcome)
}

function observedPipeline(
  request: Request,
  env: unknown,
  checks: readonly ResolvedRequirements[],
  probe: Probe,
  parts: PipelineParts,
): AuthOutcome | Promise<AuthOutcome> {
  const { config } = parts
  let render = config.render
  try {
    const context = parts.contextFor(env)
    render = context.render
    const { verifier } = context
    const now = config.now()
    const fromIdentityHeader = config.identityHeader === undefined ? null : request.headers.get(config.identityHeader)
    let cached: VerifiedMandate | undefined
    let token: string
    if (fromIdentityHeader !== null) {
      token = tokenOfIdentityHeader(fromIdentityHeader)
      cached = verifier.cachedByToken(token, now)
    } else {
      const header = request.headers.get('authorization')
      cached = header === null ? undefined : verifier.cachedByHeader(header, now)
      token = cached === undefined ? extractBearer(header) : ''
      if (cached === undefined) cached = verifier.cachedByToken(token, now)
    }
    probe.cacheHit = cached !== undefined
    const verified = cached ?? verifier.verify(token, now)
    const authorize = (mandate: VerifiedMandate) => authorizeTimed(mandate, checks, context, request, probe, parts)
    return isPromise(verified)
      ? verified.then(authorize, (caught: unknown) => refusedOutcome(config, caught, request, context.render, checks))
      : authorize(verified)
  } catch (caught) {
    return refusedOutcome(config, caught, request, render, checks)
  }
}

/** Route requirements, then revocation (as `Authenticator` authorizes), with the revocation lookup timed. */
function authorizeTimed(
  verified: VerifiedMandate,
  checks: readonly ResolvedRequirements[],
  context: RequestContext,
  request: Request,
  probe: Probe,
  parts: PipelineParts,
): AuthOutcome | Promise<AuthOutcome> {
  const { config } = parts
  let started: number | undefined
  const timed = (): void => {
    if (started !== undefined) probe.storeMs = elapsedClock() - started
  }
  try {
    for (let i = 0; i < checks.length; i++) checkRequirements(verified.mandate, checks[i]!)
    started = elapsedClock()
    const revocation = checkRevocation(context.store, verified, config.revocationTimeoutMs)
    timed()
    if (revocation === undefined) return verified
    return revocation.then(
      () => (timed(), verified),
      (caught: unknown) => (timed(), refusedOutcome(config, caught, request, context.render, parts.defaultChecks)),
    )
  } catch (caught) {
    timed()
    return refusedOutcome(config, caught, request, context.render, checks)
  }
}
