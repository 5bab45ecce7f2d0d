/**
 * The authenticate pipeline shared by `withCaracal` and the Hono middleware: route checks for the
 * path, then the bearer token (the cache first), the route requirements and the revocation check.
 * Adapters only decide what to do with the outcome.
 */
import { isPromise } from '../async.js'
import type { CaracalError } from '../errors.js'
import { extractBearer } from '../http/bearer.js'
import type { RevocationStore } from '../stores/types.js'
import { JwksCache } from '../verify/jwks.js'
import { MandateCache } from '../verify/mandate-cache.js'
import { checkRequirements, type ResolvedRequirements } from '../verify/requirements.js'
import type { VerifiedMandate } from '../verify/verified.js'
import { MandateVerifier } from '../verify/verifier.js'
import { identityFor } from './identity.js'
import { callIgnoringFailure, elapsedClock, startTrace, type Observation } from './observe.js'
import { resolveCaracalOptions, type CaracalOptions, type ResolvedCaracalOptions } from './options.js'
import { asCaracalError, renderRefusal } from './refusal.js'
import { checkRevocation } from './revocation.js'
import { checksFor, pathOf } from './routes.js'
import { storeFromFactory } from './store.js'

/**
 * What authenticating one request came to. A `verified` outcome is shared by every request that
 * presents the same token (it is the cache's record of it): read it, never change it.
 */
export type AuthOutcome =
  | VerifiedMandate
  | { readonly kind: 'excluded' }
  | { readonly kind: 'refused'; readonly error: CaracalError; readonly response: Response }

const EXCLUDED: AuthOutcome = Object.freeze({ kind: 'excluded' })

/** Verifiers kept per issuer+zone+audience when those come from each request's `env`. */
const MAX_VERIFIERS = 16

/** What the observed path learns along the way, for `onVerified` and the trace. */
interface Probe {
  cacheHit: boolean
  storeMs: number
}

interface RequestContext {
  readonly verifier: MandateVerifier
  readonly store: RevocationStore
}

/** Options resolved once, then `authenticate(request, env)` per request. */
export class Authenticator {
  readonly #config: ResolvedCaracalOptions
  readonly #defaultChecks: readonly ResolvedRequirements[]
  readonly #matchesPaths: boolean
  readonly #verifiers = new Map<string, MandateVerifier>()
  /** The one context of every request, once issuer, zone, audience and store are all fixed. */
  #sharedContext: RequestContext | undefined

  constructor(where: string, options: CaracalOptions) {
    this.#config = resolveCaracalOptions(where, options)
    const routes = this.#config.routes
    this.#defaultChecks = routes.defaults.checks
    this.#matchesPaths = routes.exclude.length > 0 || routes.routes.length > 0
  }

  /**
   * Authenticates one request. Never throws or rejects: a refusal carries the response to send.
   * Synchronous when it can be (a cached mandate and a synchronous store), so the wrapped handler
   * adds no promise to the common case; a promise otherwise.
   */
  authenticate(request: Request, env?: unknown): AuthOutcome | Promise<AuthOutcome> {
    let checks = this.#defaultChecks
    if (this.#matchesPaths) {
      const found = checksFor(this.#config.routes, pathOf(request.url))
      if (found === undefined) return EXCLUDED
      checks = found
    }
    const observation = this.#config.observation
    if (observation !== undefined) return this.#authenticateObserved(request, env, checks, observation)
    // No closure on the synchronous path (each continuation is a method of its own), so a cached
    // mandate costs no captured-variable scope per request.
    try {
      const { verifier, store } = this.#contextFor(env)
      const header = request.headers.get('authorization')
      const now = this.#config.now()
      const verified =
        (header === null ? undefined : verifier.cachedByHeader(header, now)) ??
        verifier.verify(extractBearer(header), now)
      if (isPromise(verified)) return this.#authorizeWhenVerified(verified, checks, store, request)
      return this.#authorize(verified, checks, store, request)
    } catch (caught) {
      return this.#refused(caught, request)
    }
  }

  /**
   * Answers a refusal found after `authenticate` (a per-route check of an adapter) exactly as
   * `authenticate` would have: reported to `onError`, rendered with the same options.
   */
  refuse(error: CaracalError, request: Request): Response {
    const { onError, render, deploymentLog } = this.#config
    return renderRefusal(error, request, onError, render, deploymentLog)
  }

  /** Fetches the zone JWKS ahead of the first request. Rejects with the reason when it cannot. */
  async warmup(env?: unknown): Promise<void> {
    await this.#contextFor(env).verifier.jwks.load()
  }

  /** `authenticate` with timings taken and reported: only when `onVerified` or `telemetry` is set. */
  #authenticateObserved(
    request: Request,
    env: unknown,
    checks: readonly ResolvedRequirements[],
    observation: Observation,
  ): AuthOutcome | Promise<AuthOutcome> {
    const started = elapsedClock()
    const probe: Probe = { cacheHit: false, storeMs: 0 }
    const trace = startTrace(observation, request)
    const outcome =
      trace === undefined
        ? this.#observedPipeline(request, env, checks, probe)
        : trace.run(() => this.#observedPipeline(request, env, checks, probe))
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

  #observedPipeline(
    request: Request,
    env: unknown,
    checks: readonly ResolvedRequirements[],
    probe: Probe,
  ): AuthOutcome | Promise<AuthOutcome> {
    try {
      const { verifier, store } = this.#contextFor(env)
      const header = request.headers.get('authorization')
      const now = this.#config.now()
      let cached = header === null ? undefined : verifier.cachedByHeader(header, now)
      let token: string | undefined
      if (cached === undefined) cached = verifier.cachedByToken((token = extractBearer(header)), now)
      probe.cacheHit = cached !== undefined
      const verified = cached ?? verifier.verify(token!, now)
      const authorize = (mandate: VerifiedMandate) => this.#authorizeTimed(mandate, checks, store, request, probe)
      return isPromise(verified)
        ? verified.then(authorize, (caught: unknown) => this.#refused(caught, request))
        : authorize(verified)
    } catch (caught) {
      return this.#refused(caught, request)
    }
  }

  /** `#authorize`, with the revocation lookup timed. */
  #authorizeTimed(
    verified: VerifiedMandate,
    checks: readonly ResolvedRequirements[],
    store: RevocationStore,
    request: Request,
    probe: Probe,
  ): AuthOutcome | Promise<AuthOutcome> {
    let started: number | undefined
    const timed = (): void => {
      if (started !== undefined) probe.storeMs = elapsedClock() - started
    }
    try {
      for (const check of checks) checkRequirements(verified.mandate, check)
      started = elapsedClock()
      const revocation = checkRevocation(store, verified, this.#config.revocationTimeoutMs)
      timed()
      if (revocation === undefined) return verified
      return revocation.then(
        () => (timed(), verified),
        (caught: unknown) => (timed(), this.#refused(caught, request)),
      )
    } catch (caught) {
      timed()
      return this.#refused(caught, request)
    }
  }

  #authorizeWhenVerified(
    verified: Promise<VerifiedMandate>,
    checks: readonly ResolvedRequirements[],
    store: RevocationStore,
    request: Request,
  ): Promise<AuthOutcome> {
    return verified.then(
      (mandate) => this.#authorize(mandate, checks, store, request),
      (caught: unknown) => this.#refused(caught, request),
    )
  }

  /** Route requirements, then revocation: the checks every request makes, cached mandate or not. */
  #authorize(
    verified: VerifiedMandate,
    checks: readonly ResolvedRequirements[],
    store: RevocationStore,
    request: Request,
  ): AuthOutcome | Promise<AuthOutcome> {
    try {
      // Indexed: a for-of over this frozen one-element array makes an iterator per request on JavaScriptCore.
      for (let i = 0; i < checks.length; i++) checkRequirements(verified.mandate, checks[i]!)
      const revocation = checkRevocation(store, verified, this.#config.revocationTimeoutMs)
      if (revocation === undefined) return verified
      return this.#authorizeWhenUnrevoked(revocation, verified, request)
    } catch (caught) {
      return this.#refused(caught, request)
    }
  }

  #authorizeWhenUnrevoked(
    revocation: Promise<void>,
    verified: VerifiedMandate,
    request: Request,
  ): Promise<AuthOutcome> {
    return revocation.then(
      () => verified,
      (caught: unknown) => this.#refused(caught, request),
    )
  }

  #refused(caught: unknown, request: Request): AuthOutcome {
    const error = asCaracalError(caught)
    return { kind: 'refused', error, response: this.refuse(error, request) }
  }

  /** The verifier and store of a request: one shared pair once nothing comes from `env`. */
  #contextFor(env: unknown): RequestContext {
    if (this.#sharedContext !== undefined) return this.#sharedContext
    const { identity, revocations } = this.#config
    const context = {
      verifier: this.#verifierFor(env),
      store: revocations.store ?? storeFromFactory(revocations.factory!, env),
    }
    if (revocations.store !== undefined && identity.fixed !== undefined) this.#sharedContext = context
    return context
  }

  #verifierFor(env: unknown): MandateVerifier {
    const identity = identityFor(this.#config.identity, env)
    const key = `${identity.issuer}\n${identity.zoneId}\n${identity.audience}`
    let verifier = this.#verifiers.get(key)
    if (verifier === undefined) {
      if (this.#verifiers.size >= MAX_VERIFIERS) this.#verifiers.clear()
      const { jwks, mandateCache, identity: config, now, observation } = this.#config
      const wrapJwksFetch = observation?.telemetry?.wrapJwksFetch
      const keys = new JwksCache({
        issuer: identity.issuer,
        zoneId: identity.zoneId,
        ...jwks,
        fetch:
          wrapJwksFetch === undefined || jwks.staticJwks !== undefined
            ? jwks.fetch
            : wrapJwksFetch.call(observation!.telemetry, jwks.fetch ?? ((input, init) => fetch(input, init))),
        // On Workers a pending fetch belongs to the request that started it.
        shareInflight: !config.perRequestEnv,
        now,
      })
      verifier = new MandateVerifier(
        identity,
        keys,
        mandateCache === false ? undefined : new MandateCache(mandateCache),
      )
      this.#verifiers.set(key, verifier)
    }
    return verifier
  }
}
