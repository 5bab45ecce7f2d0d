/**
 * The authenticate pipeline shared by `withCaracal` and the Hono middleware: the early answers
 * (`early-answers.ts`), route checks for the path, then the token (the cache first), the route
 * requirements and the revocation check; with `onVerified` or `telemetry`, the same steps timed
 * (`observed.ts`). Adapters only decide what to do with the outcome.
 */
import { isPromise } from '../async.js'
import { CaracalError } from '../errors.js'
import { extractBearer } from '../http/bearer.js'
import { tokenOfIdentityHeader } from '../http/identity-header.js'
import type { RenderOptions } from '../http/respond.js'
import { checkRequirements, type ResolvedRequirements } from '../verify/requirements.js'
import type { VerifiedMandate } from '../verify/verified.js'
import type { MandateVerifier } from '../verify/verifier.js'
import { EXCLUDED, refusedOutcome, type AuthOutcome, type PipelineParts } from './auth-outcome.js'
import { answerEarly, answersEarly } from './early-answers.js'
import {
  identityContextFor,
  isIdentityFixed,
  type IdentityContext,
  type IdentityContexts,
  type RequestContext,
} from './identity-context.js'
import { authenticateObserved } from './observed.js'
import { resolveCaracalOptions, type CaracalOptions, type ResolvedCaracalOptions } from './options.js'
import { asCaracalError, renderRefusal } from './refusal.js'
import type { Revalidator } from './request-mandate.js'
import { checkRevocation } from './revocation.js'
import { checksFor, pathOf } from './routes.js'
import { storeFromFactory } from './store.js'
import type { TrustedZones } from './trusted-zones.js'

export type { AuthOutcome }

/** Options resolved once, then `authenticate(request, env)` per request. */
export class Authenticator implements Revalidator {
  readonly #config: ResolvedCaracalOptions
  readonly #defaultChecks: readonly ResolvedRequirements[]
  readonly #matchesPaths: boolean
  /** Whether some requests are answered before any token: a served document, allowed preflights. */
  readonly #answersEarly: boolean
  readonly #identityHeader: string | undefined
  /** Per issuer+zone+audience; with `trust`, per audience (the zones inside one are never evicted). */
  readonly #identities: IdentityContexts = new Map()
  /** Whether issuer, zone and audience (with `trust`, the audience) are all known at construction. */
  readonly #identityFixed: boolean
  /** What the observed path and the early answers read: built once, not per request. */
  readonly #parts: PipelineParts
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
    this.#answersEarly = answersEarly(this.#config)
    this.#identityHeader = this.#config.identityHeader
    this.#identityFixed = isIdentityFixed(this.#config.identity)
    this.needsEnv = this.#config.revocations.store === undefined || !this.#identityFixed
    this.#parts = {
      config: this.#config,
      defaultChecks: this.#defaultChecks,
      contextFor: (env) => this.#contextFor(env),
      identityContextFor: (env) => this.#identityContextFor(env),
    }
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
      const early = answerEarly(request, env, this.#parts)
      if (early !== undefined) return early
    }
    let checks = this.#defaultChecks
    if (this.#matchesPaths) {
      const found = checksFor(this.#config.routes, pathOf(request.url))
      if (found === undefined) return EXCLUDED
      checks = found
    }
    const observation = this.#config.observation
    if (observation !== undefined) return authenticateObserved(request, env, checks, observation, this.#parts)
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
    return refusedOutcome(this.#config, caught, request, render, checks)
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

  #identityContextFor(env: unknown): IdentityContext {
    return identityContextFor(this.#config, this.#identities, env)
  }
}
