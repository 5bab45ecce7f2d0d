/**
 * The authenticate pipeline shared by `withCaracal` and the Hono middleware: the requests answered
 * before any token (a served RFC 9728 document, an allowed CORS preflight), route checks for the
 * path, then the token (the cache first), the route requirements and the revocation check.
 * Adapters only decide what to do with the outcome.
 */
import { isPromise } from '../async.js'
import { CaracalError } from '../errors.js'
import { extractBearer } from '../http/bearer.js'
import { tokenOfIdentityHeader } from '../http/identity-header.js'
import { isCorsPreflight } from '../http/preflight.js'
import type { RenderOptions } from '../http/respond.js'
import type { RevocationStore } from '../stores/types.js'
import { JwksCache } from '../verify/jwks.js'
import { MandateCache } from '../verify/mandate-cache.js'
import { checkRequirements, type ResolvedRequirements } from '../verify/requirements.js'
import type { VerifiedMandate } from '../verify/verified.js'
import { MandateVerifier } from '../verify/verifier.js'
import { audienceFor, identityFor, type Identity } from './identity.js'
import { callIgnoringFailure, elapsedClock, startTrace, type Observation } from './observe.js'
import { resolveCaracalOptions, type CaracalOptions, type ResolvedCaracalOptions } from './options.js'
import { asCaracalError, renderRefusal, withChallengeScopes } from './refusal.js'
import type { Revalidator } from './request-mandate.js'
import {
  WELL_KNOWN_PATH,
  isMetadataRequest,
  metadataResponse,
  servedMetadataFor,
  type ServedMetadata,
} from './resource-metadata.js'
import { checkRevocation } from './revocation.js'
import { checksFor, pathOf } from './routes.js'
import { storeFromFactory } from './store.js'
import { TrustedZones } from './trusted-zones.js'

/**
 * What authenticating one request came to. A `verified` outcome is shared by every request that
 * presents the same token (it is the cache's record of it): read it, never change it. `answered`
 * is a response the wrapper gives itself (the RFC 9728 document), no handler involved.
 */
export type AuthOutcome =
  | VerifiedMandate
  | { readonly kind: 'excluded' }
  | { readonly kind: 'answered'; readonly response: Response }
  | { readonly kind: 'refused'; readonly error: CaracalError; readonly response: Response }

const EXCLUDED: AuthOutcome = Object.freeze({ kind: 'excluded' })

/**
 * Verifiers kept per issuer+zone+audience when those come from each request's `env`; with `trust`,
 * zone sets kept per audience (the zones inside one set are never evicted).
 */
const MAX_VERIFIERS = 16

/** What the observed path learns along the way, for `onVerified` and the trace. */
interface Probe {
  cacheHit: boolean
  storeMs: number
}

/**
 * What one identity needs, built once per identity: one issuer, zone and audience, or with `trust`
 * one audience and every configured pair (the served document and challenges name the audience).
 */
interface IdentityContext {
  readonly verifier: MandateVerifier | TrustedZones
  readonly render: RenderOptions
  readonly served: ServedMetadata | undefined
}

interface RequestContext extends IdentityContext {
  readonly store: RevocationStore
}

/** Options resolved once, then `authenticate(request, env)` per request. */
export class Authenticator implements Revalidator {
  readonly #config: ResolvedCaracalOptions
  readonly #defaultChecks: readonly ResolvedRequirements[]
  readonly #matchesPaths: boolean
  /** Whether some requests are answered before any token: a served document, allowed preflights. */
  readonly #answersEarly: boolean
  readonly #identityHeader: string | undefined
  /** Per issuer+zone+audience; with `trust`, per audience (the zones inside one are never evicted). */
  readonly #identities = new Map<string, IdentityContext>()
  /** Whether issuer, zone and audience (with `trust`, the audience) are all known at construction. */
  readonly #identityFixed: boolean
  /** Whether a request's store or identity comes from its `env` (so `revalidate` needs that env). */
  readonly needsEnv: boolean
  /** The one context of every request, once issuer, zone, audience and store are all fixed. */
  #sharedContext: RequestContext | undefined

  /** `extraScopes` join the routes' in the default `scopes_supported` (an adapter's own, e.g. MCP tools). */
  constructor(where: string, options: CaracalOptions, extraScopes?: readonly string[]) {
    this.#config = resolveCaracalOptions(where, options, extraScopes)
    const routes = this.#config.routes
    this.#defaultChecks = routes.defaults.checks
    this.#matchesPaths = routes.exclude.length > 0 || routes.routes.length > 0
    this.#answersEarly = this.#config.allowPreflight || this.#config.resourceMetadata?.kind === 'served'
    this.#identityHeader = this.#config.identityHeader
    const identity = this.#config.identity
    this.#identityFixed =
      identity.trust === undefined ? identity.fixed !== undefined : identity.partial.audience !== undefined
    this.needsEnv = this.#config.revocations.store === undefined || !this.#identityFixed
    // A bad audience for a served document is a construction error where the identity is known.
    if (this.#identityFixed) this.#identityContextFor(undefined)
  }

  /**
   * Authenticates one request. Never throws or rejects: a refusal carries the response to send.
   * Synchronous when it can be (a cached mandate and a synchronous store), so the wrapped handler
   * adds no promise to the common case; a promise otherwise.
   */
  authenticate(request: Request, env?: unknown): AuthOutcome | Promise<AuthOutcome> {
    if (this.#answersEarly) {
      const early = this.#answerEarly(request, env)
      if (early !== undefined) return early
    }
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
    let render = this.#config.render
    try {
      const context = this.#contextFor(env)
      render = context.render
      const now = this.#config.now()
      const verified =
        this.#identityHeader === undefined
          ? this.#verifyAuthorization(context.verifier, request, now)
          : this.#verifyIdentityHeader(context.verifier, request, now, this.#identityHeader)
      if (isPromise(verified)) return this.#authorizeWhenVerified(verified, checks, context, request)
      return this.#authorize(verified, checks, context, request)
    } catch (caught) {
      return this.#refused(caught, request, render, checks)
    }
  }

  #verifyAuthorization(
    verifier: MandateVerifier | TrustedZones,
    request: Request,
    now: number,
  ): VerifiedMandate | Promise<VerifiedMandate> {
    const header = request.headers.get('authorization')
    return (
      (header === null ? undefined : verifier.cachedByHeader(header, now)) ??
      verifier.verify(extractBearer(header), now)
    )
  }

  /** The identity header when the request has it (and `Authorization` unread), else `Authorization`. */
  #verifyIdentityHeader(
    verifier: MandateVerifier | TrustedZones,
    request: Request,
    now: number,
    name: string,
  ): VerifiedMandate | Promise<VerifiedMandate> {
    const raw = request.headers.get(name)
    if (raw === null) return this.#verifyAuthorization(verifier, request, now)
    return verifier.verify(tokenOfIdentityHeader(raw), now)
  }

  /**
   * Answers a refusal found after `authenticate` (a per-route or per-tool check of an adapter)
   * exactly as `authenticate` would have: reported to `onError`, rendered with the same options
   * (those of the identity `env` resolves to, when the metadata document is served).
   */
  refuse(error: CaracalError, request: Request, env?: unknown): Response {
    return renderRefusal(error, request, this.#config.onError, this.#renderFor(env), this.#config.deploymentLog)
  }

  /** The requirements a request to this URL must meet (undefined when excluded). */
  checksFor(request: Request): readonly ResolvedRequirements[] | undefined {
    return this.#matchesPaths ? checksFor(this.#config.routes, pathOf(request.url)) : this.#defaultChecks
  }

  /** Fetches the zone JWKS (every zone's, with `trust`) ahead of the first request. Rejects with the reason when it cannot. */
  async warmup(env?: unknown): Promise<void> {
    await this.#contextFor(env).verifier.warmup()
  }

  /** Expiry, then revocation, for a mandate verified earlier: see `revalidate`. */
  async revalidate(verified: VerifiedMandate, request: Request, env: unknown): Promise<CaracalError | undefined> {
    try {
      const nowS = Math.floor(this.#config.now() / 1000)
      if (verified.mandate.expiresAt <= nowS) {
        throw new CaracalError('invalid_token', `claim \`exp\`: expired ${nowS - verified.mandate.expiresAt}s ago`, {
          claim: 'exp',
        })
      }
      await checkRevocation(this.#contextFor(env).store, verified, this.#config.revocationTimeoutMs)
      return undefined
    } catch (caught) {
      const error = asCaracalError(caught)
      this.refuse(error, request, env)
      return error
    }
  }

  /** The served document, or the pass of an allowed preflight; undefined for everything else. */
  #answerEarly(request: Request, env: unknown): AuthOutcome | undefined {
    if (this.#config.allowPreflight && isCorsPreflight(request, this.#identityHeader)) return EXCLUDED
    if (this.#config.resourceMetadata?.kind !== 'served') return undefined
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined
    const path = pathOf(request.url)
    if (!path.startsWith(WELL_KNOWN_PATH)) return undefined
    try {
      // The identity only: a revocation store (perhaps built from env) has no part in the document.
      const served = this.#identityContextFor(env).served!
      if (!isMetadataRequest(request.method, path, served)) return undefined
      return { kind: 'answered', response: metadataResponse(served, request.method) }
    } catch (caught) {
      return this.#refused(caught, request, this.#config.render, this.#defaultChecks)
    }
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
    let render = this.#config.render
    try {
      const context = this.#contextFor(env)
      render = context.render
      const { verifier } = context
      const now = this.#config.now()
      const fromIdentityHeader = this.#identityHeader === undefined ? null : request.headers.get(this.#identityHeader)
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
      const authorize = (mandate: VerifiedMandate) => this.#authorizeTimed(mandate, checks, context, request, probe)
      return isPromise(verified)
        ? verified.then(authorize, (caught: unknown) => this.#refused(caught, request, context.render, checks))
        : authorize(verified)
    } catch (caught) {
      return this.#refused(caught, request, render, checks)
    }
  }

  /** `#authorize`, with the revocation lookup timed. */
  #authorizeTimed(
    verified: VerifiedMandate,
    checks: readonly ResolvedRequirements[],
    context: RequestContext,
    request: Request,
    probe: Probe,
  ): AuthOutcome | Promise<AuthOutcome> {
    let started: number | undefined
    const timed = (): void => {
      if (started !== undefined) probe.storeMs = elapsedClock() - started
    }
    try {
      for (let i = 0; i < checks.length; i++) checkRequirements(verified.mandate, checks[i]!)
      started = elapsedClock()
      const revocation = checkRevocation(context.store, verified, this.#config.revocationTimeoutMs)
      timed()
      if (revocation === undefined) return verified
      return revocation.then(
        () => (timed(), verified),
        (caught: unknown) => (timed(), this.#refused(caught, request, context.render, this.#defaultChecks)),
      )
    } catch (caught) {
      timed()
      return this.#refused(caught, request, context.render, checks)
    }
  }

  #authorizeWhenVerified(
    verified: Promise<VerifiedMandate>,
    checks: readonly ResolvedRequirements[],
    context: RequestContext,
    request: Request,
  ): Promise<AuthOutcome> {
    return verified.then(
      (mandate) => this.#authorize(mandate, checks, context, request),
      (caught: unknown) => this.#refused(caught, request, context.render, checks),
    )
  }

  /** Route requirements, then revocation: the checks every request makes, cached mandate or not. */
  #authorize(
    verified: VerifiedMandate,
    checks: readonly ResolvedRequirements[],
    context: RequestContext,
    request: Request,
  ): AuthOutcome | Promise<AuthOutcome> {
    try {
      // Indexed: a for-of over this frozen one-element array makes an iterator per request on JavaScriptCore.
      for (let i = 0; i < checks.length; i++) checkRequirements(verified.mandate, checks[i]!)
      const revocation = checkRevocation(context.store, verified, this.#config.revocationTimeoutMs)
      if (revocation === undefined) return verified
      return this.#authorizeWhenUnrevoked(revocation, verified, context.render, request)
    } catch (caught) {
      return this.#refused(caught, request, context.render, checks)
    }
  }

  #authorizeWhenUnrevoked(
    revocation: Promise<void>,
    verified: VerifiedMandate,
    render: RenderOptions,
    request: Request,
  ): Promise<AuthOutcome> {
    return revocation.then(
      () => verified,
      (caught: unknown) => this.#refused(caught, request, render, this.#defaultChecks),
    )
  }

  #refused(
    caught: unknown,
    request: Request,
    render: RenderOptions,
    checks: readonly ResolvedRequirements[],
  ): AuthOutcome {
    const error = withChallengeScopes(asCaracalError(caught), checks)
    return {
      kind: 'refused',
      error,
      response: renderRefusal(error, request, this.#config.onError, render, this.#config.deploymentLog),
    }
  }

  /** The verifier, store and challenge options of a request: one shared set once nothing comes from `env`. */
  #contextFor(env: unknown): RequestContext {
    if (this.#sharedContext !== undefined) return this.#sharedContext
    const { revocations } = this.#config
    const context: RequestContext = {
      ...this.#identityContextFor(env),
      store: revocations.store ?? storeFromFactory(revocations.factory!, env),
    }
    if (revocations.store !== undefined && this.#identityFixed) this.#sharedContext = context
    return context
  }

  #renderFor(env: unknown): RenderOptions {
    if (this.#config.resourceMetadata?.kind !== 'served') return this.#config.render
    try {
      return this.#identityContextFor(env).render
    } catch {
      return this.#config.render
    }
  }

  /** The identity context of a request: of its issuer+zone+audience, or with `trust` of its audience. */
  #identityContextFor(env: unknown): IdentityContext {
    const config = this.#config.identity
    if (config.trust !== undefined) return this.#trustContext(audienceFor(config, env))
    return this.#identityContext(identityFor(config, env))
  }

  #identityContext(identity: Identity): IdentityContext {
    const key = `${identity.issuer}\n${identity.zoneId}\n${identity.audience}`
    let context = this.#identities.get(key)
    if (context === undefined) {
      if (this.#identities.size >= MAX_VERIFIERS) this.#identities.clear()
      context = this.#newIdentityContext(this.#newZoneVerifier(identity, this.#newMandateCache()), identity.audience, [
        identity.issuer,
      ])
      this.#identities.set(key, context)
    }
    return context
  }

  /** With `trust`: every pair for one audience (one, unless the audience comes from each request's `env`). */
  #trustContext(audience: string): IdentityContext {
    let context = this.#identities.get(audience)
    if (context === undefined) {
      if (this.#identities.size >= MAX_VERIFIERS) this.#identities.clear()
      const trust = this.#config.identity.trust!
      const zones = new TrustedZones(trust, audience, this.#newMandateCache(), (identity, cache) =>
        this.#newZoneVerifier(identity, cache),
      )
      context = this.#newIdentityContext(zones, audience, [...new Set(trust.map(({ issuer }) => issuer))])
      this.#identities.set(audience, context)
    }
    return context
  }

  /** The served document (when `resourceMetadata` is served) and challenge options of one audience. */
  #newIdentityContext(
    verifier: MandateVerifier | TrustedZones,
    audience: string,
    issuers: readonly string[],
  ): IdentityContext {
    const { resourceMetadata, where } = this.#config
    const served =
      resourceMetadata?.kind === 'served'
        ? servedMetadataFor(resourceMetadata, audience, issuers, this.#identityFixed, where)
        : undefined
    return {
      verifier,
      render: served === undefined ? this.#config.render : Object.freeze({ resourceMetadata: served.url }),
      served,
    }
  }

  #newMandateCache(): MandateCache | undefined {
    const { mandateCache } = this.#config
    return mandateCache === false ? undefined : new MandateCache(mandateCache)
  }

  /** The verifier of one issuer+zone: its own JWKS cache, caching verified mandates into `cache`. */
  #newZoneVerifier(identity: Identity, cache: MandateCache | undefined): MandateVerifier {
    const { jwks, identity: config, now, observation } = this.#config
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
    return new MandateVerifier(identity, keys, cache)
  }
}
