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
import { audienceFor, identityFor, type Identity } from './identity.js'
import { resolveCaracalOptions, type CaracalOptions, type ResolvedCaracalOptions } from './options.js'
import { asCaracalError, renderRefusal } from './refusal.js'
import { checkRevocation } from './revocation.js'
import { checksFor, pathOf } from './routes.js'
import { storeFromFactory } from './store.js'
import { TrustedZones } from './trusted-zones.js'

/**
 * What authenticating one request came to. A `verified` outcome is shared by every request that
 * presents the same token (it is the cache's record of it): read it, never change it.
 */
export type AuthOutcome =
  | VerifiedMandate
  | { readonly kind: 'excluded' }
  | { readonly kind: 'refused'; readonly error: CaracalError; readonly response: Response }

const EXCLUDED: AuthOutcome = Object.freeze({ kind: 'excluded' })

/**
 * Verifiers kept per issuer+zone+audience when those come from each request's `env`; with `trust`,
 * zone sets kept per audience (the zones inside one set are never evicted).
 */
const MAX_VERIFIERS = 16

interface RequestContext {
  readonly verifier: MandateVerifier | TrustedZones
  readonly store: RevocationStore
}

/** Options resolved once, then `authenticate(request, env)` per request. */
export class Authenticator {
  readonly #config: ResolvedCaracalOptions
  readonly #defaultChecks: readonly ResolvedRequirements[]
  readonly #matchesPaths: boolean
  readonly #verifiers = new Map<string, MandateVerifier>()
  /** With `trust`: the zones per audience (one, unless the audience comes from each request's `env`). */
  readonly #trustedZones = new Map<string, TrustedZones>()
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
    return renderRefusal(error, request, this.#config.onError, this.#config.render)
  }

  /** Fetches the zone JWKS (every zone's, with `trust`) ahead of the first request. Rejects with the reason when it cannot. */
  async warmup(env?: unknown): Promise<void> {
    await this.#contextFor(env).verifier.warmup()
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
    const fixed = identity.trust === undefined ? identity.fixed !== undefined : identity.partial.audience !== undefined
    if (revocations.store !== undefined && fixed) this.#sharedContext = context
    return context
  }

  #verifierFor(env: unknown): MandateVerifier | TrustedZones {
    const { trust } = this.#config.identity
    if (trust !== undefined) return this.#trustedZonesFor(audienceFor(this.#config.identity, env))
    const identity = identityFor(this.#config.identity, env)
    const key = `${identity.issuer}\n${identity.zoneId}\n${identity.audience}`
    let verifier = this.#verifiers.get(key)
    if (verifier === undefined) {
      if (this.#verifiers.size >= MAX_VERIFIERS) this.#verifiers.clear()
      verifier = this.#newZoneVerifier(identity, this.#newMandateCache())
      this.#verifiers.set(key, verifier)
    }
    return verifier
  }

  #trustedZonesFor(audience: string): TrustedZones {
    let zones = this.#trustedZones.get(audience)
    if (zones === undefined) {
      if (this.#trustedZones.size >= MAX_VERIFIERS) this.#trustedZones.clear()
      zones = new TrustedZones(this.#config.identity.trust!, audience, this.#newMandateCache(), (identity, cache) =>
        this.#newZoneVerifier(identity, cache),
      )
      this.#trustedZones.set(audience, zones)
    }
    return zones
  }

  #newMandateCache(): MandateCache | undefined {
    const { mandateCache } = this.#config
    return mandateCache === false ? undefined : new MandateCache(mandateCache)
  }

  /** The verifier of one issuer+zone: its own JWKS cache, caching verified mandates into `cache`. */
  #newZoneVerifier(identity: Identity, cache: MandateCache | undefined): MandateVerifier {
    const { jwks, identity: config, now } = this.#config
    const keys = new JwksCache({
      issuer: identity.issuer,
      zoneId: identity.zoneId,
      ...jwks,
      // On Workers a pending fetch belongs to the request that started it.
      shareInflight: !config.perRequestEnv,
      now,
    })
    return new MandateVerifier(identity, keys, cache)
  }
}
