import { CaracalError, isCaracalError, messageOf } from './errors.js'
import { fromBindings, fromGlobalEnv, isWorkers } from './env.js'
import { extractBearer } from './http/bearer.js'
import { errorResponse, type RenderOptions } from './http/respond.js'
import { validateMilliseconds, validateTimeout, type RevocationStatus, type RevocationStore } from './stores/types.js'
import { isUsableJwk, JwksCache, type FetchLike, type JsonWebKeySet } from './verify/jwks.js'
import { resolveJwksStore, validateJwksCacheOption, type JwksCacheOption } from './verify/jwks-persistence.js'
import type { Mandate } from './verify/mandate.js'
import { MandateCache, type MandateCacheOptions } from './verify/mandate-cache.js'
import {
  checkRequirements,
  pickRequirements,
  resolveRequirements,
  type Requirements,
  type ResolvedRequirements,
} from './verify/requirements.js'
import { checkRevocationStatus, isPromise, lookupRevocation } from './verify/revocation.js'
import { MandateVerifier, type VerifiedMandate } from './verify/verifier.js'

/** Options of `withCaracal` and of the Hono middleware. */
export interface CaracalOptions extends Requirements {
  /**
   * This resource's identifier; the mandate's `aud` must contain it. Required: pass it or set
   * `CARACAL_AUDIENCE`.
   */
  audience?: string
  /**
   * The revocation store, or a function that builds one from the Workers `env` (called per request).
   * Any object with Caracal's store interface (`isRevoked`, optional `currentDelegationEpoch`) works.
   */
  revocations: RevocationStore | ((env: any) => RevocationStore)
  /**
   * The Caracal STS URL (`https:`; `http:` only on loopback).
   * @default the `CARACAL_STS_URL` variable
   */
  issuer?: string
  /**
   * The zone whose keys and mandates are trusted.
   * @default the `CARACAL_ZONE_ID` variable
   */
  zoneId?: string
  /** The fetch used for the JWKS (e.g. a Workers service binding's `fetch`). @default globalThis.fetch */
  fetch?: FetchLike
  /** A static JWK set used instead of fetching the JWKS (air-gapped deployments, tests). */
  jwks?: JsonWebKeySet
  /**
   * Per-path-prefix requirement overrides; the longest matching prefix wins. A path whose spellings
   * (as sent, percent-decoded) fall under different routes must meet every one of them. @default {}
   */
  routes?: Readonly<Record<string, Requirements>>
  /** Path prefixes served without verification (health checks). @default [] */
  exclude?: readonly string[]
  /** RFC 9728 protected resource metadata URL, advertised in `WWW-Authenticate`. */
  resourceMetadata?: string
  /**
   * Receives every refusal with its operator-facing reason and cause. What it throws, or the
   * promise it returns rejects with, is ignored; the response does not wait for it.
   */
  onError?: (error: CaracalError, request: Request) => void
  /** Deadline of one JWKS fetch, in ms. @default 3000 */
  jwksTimeoutMs?: number
  /** Least time between two JWKS refetches caused by unknown `kid`s, in ms. @default 30_000 */
  jwksCooldownMs?: number
  /** How long expired JWKS keys may still serve while refetching fails, in ms. @default 900_000 */
  jwksMaxStaleMs?: number
  /**
   * Where the fetched JWKS is kept for the next isolate, so a cold start verifies without a round
   * trip to the STS: any `{ get(key), put(key, value, { expirationTtl }) }` store, such as a Workers
   * KV namespace. An entry serves only while its response is fresh (its clamped `max-age`) and its
   * keys pass the same checks as fetched ones. `false` turns it off.
   * @default `caches.default` (the Workers Cache API) where the runtime has it; elsewhere none
   */
  jwksCache?: JwksCacheOption
  /** Deadline of one asynchronous revocation lookup, in ms; past it the request gets 503. @default 2000 */
  revocationTimeoutMs?: number
  /**
   * The verified-mandate cache: a repeated token skips the signature check (never the route
   * requirements or the revocation lookup). `false` turns it off.
   * @default { maxEntries: 10_000, maxBytes: 16 MiB, maxAgeMs: 300_000 }
   */
  mandateCache?: false | MandateCacheOptions
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number
}

/**
 * What authenticating one request came to. A `verified` outcome is shared by every request that
 * presents the same token (it is the cache's record of it): read it, never change it.
 */
export type AuthOutcome =
  | VerifiedMandate
  | { readonly kind: 'excluded' }
  | { readonly kind: 'refused'; readonly error: CaracalError; readonly response: Response }

const EXCLUDED: AuthOutcome = Object.freeze({ kind: 'excluded' })

interface Route {
  readonly prefix: string
  readonly requirements: ResolvedRequirements
  /** `[requirements]`, built once: what a request with one spelling of its path must meet. */
  readonly checks: readonly ResolvedRequirements[]
}

function route(prefix: string, requirements: ResolvedRequirements): Route {
  return { prefix, requirements, checks: Object.freeze([requirements]) }
}

interface Identity {
  readonly issuer: string
  readonly zoneId: string
  readonly audience: string
}

const VARS = { issuer: 'CARACAL_STS_URL', zoneId: 'CARACAL_ZONE_ID', audience: 'CARACAL_AUDIENCE' } as const

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** Returns a problem with an https URL (http only on loopback), or undefined when it is acceptable. */
function httpsUrlProblem(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not an absolute URL'
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return undefined
  return 'must use https: (http: is allowed only for 127.0.0.0/8, ::1 and localhost)'
}

/** The issuer: an https URL that the JWKS path and `?zone_id=` can be appended to. */
function issuerProblem(issuer: string): string | undefined {
  // A query or a fragment would swallow the path and the zone_id appended after it.
  return httpsUrlProblem(issuer) ?? (/[?#]/.test(issuer) ? 'must have no query (?) or fragment (#)' : undefined)
}

function normalisePrefix(where: string, name: string, prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
    throw new TypeError(
      `${where}: every \`${name}\` entry must be a path starting with "/", got ${JSON.stringify(prefix)}`,
    )
  }
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') || '/' : prefix
}

function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47) /* / */
}

/** The path of a request URL without building a URL object (the hot path runs this per request). */
function pathOf(url: string): string {
  const scheme = url.indexOf('://')
  let start = url.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  if (start === -1) return '/'
  let end = url.length
  const q = url.indexOf('?', start)
  if (q !== -1) end = q
  const h = url.indexOf('#', start)
  if (h !== -1 && h < end) end = h
  return url.slice(start, end)
}

const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g
const ASCII_ESCAPE = /%[0-7][0-9A-Fa-f]/g

/**
 * Decodes each run of percent-escapes on its own; a run that is not UTF-8 keeps its escapes as
 * sent except the ASCII ones. One bad escape (`%ZZ`, `%C0`) leaves the rest of the path decoded, as
 * routers that decode leniently (Hono) see it.
 */
function decodeRuns(path: string, decode: (escaped: string) => string): string {
  return path.replace(ESCAPE_RUN, (run) => {
    try {
      return decode(run)
    } catch {
      return run.replace(ASCII_ESCAPE, (escape) => decode(escape))
    }
  })
}

/**
 * The spellings of a path that the router behind us may match on: as sent, decoded the way
 * decodeURI does (reserved characters such as `%2F` stay encoded) and the way decodeURIComponent
 * does. Without a `%` there is only one.
 */
function spellingsOf(path: string): readonly string[] {
  const spellings = [path]
  if (!path.includes('%')) return spellings
  for (const decoded of [decodeRuns(path, decodeURI), decodeRuns(path, decodeURIComponent)]) {
    if (!spellings.includes(decoded)) spellings.push(decoded)
  }
  return spellings
}

function positiveInteger(where: string, name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
    throw new TypeError(`${where}: \`${name}\` must be a positive integer`)
  }
}

function storeProblem(store: unknown): string | undefined {
  if (typeof store !== 'object' || store === null) return 'is not an object'
  const s = store as Record<string, unknown>
  if (typeof s['isRevoked'] !== 'function' && typeof s['lookup'] !== 'function') return 'has no isRevoked() method'
  return undefined
}

function storeFailure(error: unknown): CaracalError {
  return new CaracalError('temporarily_unavailable', `revocation store failed: ${messageOf(error)}`, {
    cause: error,
    retryAfter: 1,
  })
}

/**
 * The shared core of `withCaracal` and the Hono middleware: options validated once, then
 * `authenticate(request, env)` per request. Adapters only decide what to do with the outcome.
 */
export class Authenticator {
  readonly #where: string
  readonly #options: CaracalOptions
  readonly #defaults: Route
  readonly #routes: readonly Route[]
  readonly #exclude: readonly string[]
  readonly #render: RenderOptions
  readonly #fixed: Partial<Identity>
  readonly #verifiers = new Map<string, MandateVerifier>()
  readonly #store: RevocationStore | undefined
  readonly #storeFactory: ((env: unknown) => RevocationStore) | undefined
  readonly #revocationTimeoutMs: number
  readonly #now: () => number
  readonly #perRequestEnv: boolean
  #fixedContext: { verifier: MandateVerifier; store: RevocationStore } | undefined

  constructor(where: string, options: CaracalOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`${where}: options are required, e.g. { audience: 'resource://my-api', revocations }`)
    }
    this.#where = where
    this.#options = { ...options }
    const defaults = resolveRequirements(where, pickRequirements(options))
    this.#defaults = route('/', defaults)

    const routes: Route[] = []
    for (const [prefix, overrides] of Object.entries(options.routes ?? {})) {
      if (typeof overrides !== 'object' || overrides === null) {
        throw new TypeError(`${where}: routes[${JSON.stringify(prefix)}] must be an object of requirements`)
      }
      const unknown = Object.keys(overrides).filter((k) => !(k in defaults))
      if (unknown.length > 0) {
        throw new TypeError(`${where}: routes[${JSON.stringify(prefix)}] has unknown option(s) ${unknown.join(', ')}`)
      }
      routes.push(
        route(
          normalisePrefix(where, 'routes', prefix),
          resolveRequirements(`${where}: routes[${JSON.stringify(prefix)}]`, overrides, defaults),
        ),
      )
    }
    this.#routes = routes.sort((a, b) => b.prefix.length - a.prefix.length)
    if (options.exclude !== undefined && !Array.isArray(options.exclude)) {
      throw new TypeError(`${where}: \`exclude\` must be an array of path prefixes`)
    }
    this.#exclude = (options.exclude ?? []).map((p) => normalisePrefix(where, 'exclude', p))

    if (options.resourceMetadata !== undefined) {
      const url: unknown = options.resourceMetadata
      // It goes verbatim into a quoted-string of `WWW-Authenticate`: printable ASCII, no quote or
      // backslash (the URL parser would quietly drop a newline that the header cannot carry).
      const problem =
        typeof url !== 'string'
          ? 'is not a string'
          : !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(url)
            ? 'must be printable ASCII without spaces, quotes or backslashes (percent-encode the rest)'
            : httpsUrlProblem(url)
      if (problem !== undefined) {
        throw new TypeError(`${where}: \`resourceMetadata\` ${JSON.stringify(url)} ${problem}`)
      }
    }
    this.#render = { resourceMetadata: options.resourceMetadata }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new TypeError(`${where}: \`onError\` must be a function`)
    }
    if (options.fetch !== undefined && typeof options.fetch !== 'function') {
      throw new TypeError(`${where}: \`fetch\` must be a function`)
    }
    if (options.jwks !== undefined) {
      const keys = (options.jwks as { keys?: unknown } | null)?.keys
      if (!Array.isArray(keys)) throw new TypeError(`${where}: \`jwks\` must be a JWK set ({ keys: [...] })`)
      if (!keys.some(isUsableJwk)) {
        throw new TypeError(
          `${where}: \`jwks\` holds no usable key; it needs a public EC P-256 key with a \`kid\` (alg ES256, use sig)`,
        )
      }
    }
    validateTimeout(where, 'jwksTimeoutMs', options.jwksTimeoutMs)
    validateMilliseconds(where, 'jwksCooldownMs', options.jwksCooldownMs)
    validateMilliseconds(where, 'jwksMaxStaleMs', options.jwksMaxStaleMs)
    validateJwksCacheOption(where, options.jwksCache)
    validateTimeout(where, 'revocationTimeoutMs', options.revocationTimeoutMs)
    this.#revocationTimeoutMs = options.revocationTimeoutMs ?? 2000
    if (
      options.mandateCache !== undefined &&
      options.mandateCache !== false &&
      typeof options.mandateCache !== 'object'
    ) {
      throw new TypeError(`${where}: \`mandateCache\` must be false or { maxEntries, maxBytes, maxAgeMs }`)
    }
    if (typeof options.mandateCache === 'object' && options.mandateCache !== null) {
      const { maxEntries, maxBytes, maxAgeMs } = options.mandateCache
      positiveInteger(where, 'mandateCache.maxEntries', maxEntries)
      positiveInteger(where, 'mandateCache.maxBytes', maxBytes)
      validateMilliseconds(where, 'mandateCache.maxAgeMs', maxAgeMs)
    }
    this.#now = options.now ?? Date.now

    const revocations = options.revocations as unknown
    // A store class passed without `new` looks like a factory; it would fail on every request.
    if (typeof revocations === 'function' && storeProblem(revocations.prototype) === undefined) {
      throw new TypeError(
        `${where}: \`revocations\` is a store class, not a store; pass an instance (e.g. new ${revocations.name || 'MemoryRevocationStore'}())`,
      )
    }
    if (typeof revocations === 'function' && storeProblem(revocations) !== undefined) {
      this.#storeFactory = revocations as (env: unknown) => RevocationStore
    } else {
      const problem = storeProblem(revocations)
      if (problem !== undefined) {
        throw new TypeError(
          `${where}: \`revocations\` ${revocations === undefined ? 'is required' : problem}; pass a store such as new MemoryRevocationStore(), or (env) => store`,
        )
      }
      this.#store = revocations as RevocationStore
    }

    // Issuer, zone and audience: from the options, else the environment. Where the environment is
    // global (Node, Bun, Deno) a gap is a construction error; on Workers the env arrives per request.
    this.#perRequestEnv = isWorkers()
    const fixed: Partial<Record<keyof Identity, string>> = {}
    for (const name of ['issuer', 'zoneId', 'audience'] as const) {
      const given = options[name]
      if (given !== undefined && (typeof given !== 'string' || given.length === 0)) {
        throw new TypeError(`${where}: \`${name}\` must be a non-empty string`)
      }
      const value = given ?? (this.#perRequestEnv ? undefined : fromGlobalEnv(VARS[name]))
      if (value === undefined && !this.#perRequestEnv) {
        throw new TypeError(`${where}: no ${name}; pass \`${name}\` or set ${VARS[name]}`)
      }
      if (value !== undefined) fixed[name] = value
    }
    if (fixed.issuer !== undefined) {
      const problem = issuerProblem(fixed.issuer)
      if (problem !== undefined) throw new TypeError(`${where}: issuer ${JSON.stringify(fixed.issuer)} ${problem}`)
    }
    this.#fixed = fixed
  }

  /** Authenticates one request. Never throws: a refusal carries the response to send. */
  /**
   * Authenticates one request. Never throws or rejects: a refusal carries the response to send.
   * Synchronous when it can be (a cached mandate and a synchronous store), so the wrapped handler
   * adds no promise to the common case; a promise otherwise.
   */
  authenticate(request: Request, env?: unknown): AuthOutcome | Promise<AuthOutcome> {
    let checks = this.#defaults.checks
    if (this.#exclude.length > 0 || this.#routes.length > 0) {
      const found = this.#checksFor(pathOf(request.url))
      if (found === undefined) return EXCLUDED
      checks = found
    }
    // No closure on the synchronous path (the promise continuations live in their own methods), so
    // a cached mandate costs no captured-variable scope per request.
    try {
      const { verifier, store } = this.#context(env)
      const header = request.headers.get('authorization')
      const now = this.#now()
      const verified =
        (header === null ? undefined : verifier.cachedByHeader(header, now)) ??
        verifier.verify(extractBearer(header), now)
      if (isPromise(verified)) return this.#admitLater(verified, checks, store, request)
      return this.#admit(verified, checks, store, request)
    } catch (caught) {
      return this.#refusal(caught, request)
    }
  }

  #admitLater(
    verified: Promise<VerifiedMandate>,
    checks: readonly ResolvedRequirements[],
    store: RevocationStore,
    request: Request,
  ): Promise<AuthOutcome> {
    return verified.then(
      (result) => this.#admit(result, checks, store, request),
      (caught: unknown) => this.#refusal(caught, request),
    )
  }

  #admit(
    verified: VerifiedMandate,
    checks: readonly ResolvedRequirements[],
    store: RevocationStore,
    request: Request,
  ): AuthOutcome | Promise<AuthOutcome> {
    try {
      // Indexed: on JavaScriptCore a for-of over this frozen one-element array showed as 5 % of a
      // cache-hit request's samples under load.
      for (let i = 0; i < checks.length; i++) checkRequirements(verified.mandate, checks[i]!)
      const revocation = this.#checkRevocation(store, verified)
      if (revocation === undefined) return verified
      return this.#admitAfter(revocation, verified, request)
    } catch (caught) {
      return this.#refusal(caught, request)
    }
  }

  #admitAfter(revocation: Promise<void>, verified: VerifiedMandate, request: Request): Promise<AuthOutcome> {
    return revocation.then(
      () => verified,
      (caught: unknown) => this.#refusal(caught, request),
    )
  }

  #refusal(caught: unknown, request: Request): AuthOutcome {
    const error = isCaracalError(caught)
      ? caught
      : new CaracalError('invalid_token', `unexpected verification failure: ${messageOf(caught)}`, { cause: caught })
    return { kind: 'refused', error, response: this.refuse(error, request) }
  }

  /**
   * Answers a refusal found after `authenticate` (a per-route check of an adapter) exactly as
   * `authenticate` would have: reported to `onError`, rendered with the same options.
   */
  refuse(error: CaracalError, request: Request): Response {
    this.#report(error, request)
    return errorResponse(error, request.method, this.#render)
  }

  /** Fetches the zone JWKS ahead of the first request. Rejects with the reason when it cannot. */
  async warmup(env?: unknown): Promise<void> {
    await this.#context(env).verifier.jwks.load()
  }

  /** The route of one spelling of a path: the longest matching `routes` prefix, else the defaults. */
  #route(path: string): Route {
    for (const route of this.#routes) if (matchesPrefix(path, route.prefix)) return route
    return this.#defaults
  }

  /**
   * What a request to `path` must meet, or undefined when it is excluded. Every spelling of the
   * path counts: it is excluded only when all of them are (an encoded path must not slip past
   * verification), and it must meet the routes of all of them (the router behind us may decode
   * differently, so `/%61dmin/x%ZZ` is held to `/admin`'s requirements).
   */
  #checksFor(path: string): readonly ResolvedRequirements[] | undefined {
    const spellings = spellingsOf(path)
    const excluded = (spelling: string): boolean => this.#exclude.some((prefix) => matchesPrefix(spelling, prefix))
    if (this.#exclude.length > 0 && spellings.every(excluded)) return undefined
    if (spellings.length === 1) return this.#route(path).checks
    const routes = new Set(spellings.map((spelling) => this.#route(spelling)))
    if (routes.size === 1) return routes.values().next().value!.checks
    return [...routes].map((r) => r.requirements)
  }

  /** Synchronous when the store answers synchronously (the memory store), a promise otherwise. */
  #checkRevocation(store: RevocationStore, verified: VerifiedMandate): Promise<void> | undefined {
    const mandate = verified.mandate
    const zone = mandate.delegationGraphEpoch === undefined ? undefined : mandate.zoneId
    let status
    try {
      status = lookupRevocation(store, verified.anchors, zone)
    } catch (error) {
      throw storeFailure(error)
    }
    if (!isPromise(status)) {
      checkRevocationStatus(mandate, status)
      return undefined
    }
    return this.#checkRevocationLater(status, mandate)
  }

  #checkRevocationLater(status: Promise<RevocationStatus>, mandate: Mandate): Promise<void> {
    return this.#deadline(status).then(
      (answer) => checkRevocationStatus(mandate, answer),
      (error: unknown) => {
        throw storeFailure(error)
      },
    )
  }

  #deadline<T>(promise: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.#revocationTimeoutMs} ms`)),
        this.#revocationTimeoutMs,
      )
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  #context(env: unknown): { verifier: MandateVerifier; store: RevocationStore } {
    // Issuer, zone and audience fixed at construction (Node, Bun, Deno): one verifier, no lookup.
    if (this.#fixedContext !== undefined) return this.#fixedContext
    const identity = this.#identity(env)
    const key = `${identity.issuer}\n${identity.zoneId}\n${identity.audience}`
    let verifier = this.#verifiers.get(key)
    if (verifier === undefined) {
      if (this.#verifiers.size >= 16) this.#verifiers.clear()
      const o = this.#options
      const jwks = new JwksCache({
        issuer: identity.issuer,
        zoneId: identity.zoneId,
        fetch: o.fetch,
        staticJwks: o.jwks,
        timeoutMs: o.jwksTimeoutMs ?? 3000,
        cooldownMs: o.jwksCooldownMs ?? 30_000,
        maxStaleMs: o.jwksMaxStaleMs ?? 900_000,
        shareInflight: !this.#perRequestEnv,
        now: this.#now,
        jwksStore: resolveJwksStore(o.jwksCache),
      })
      const cache = o.mandateCache === false ? undefined : new MandateCache(o.mandateCache ?? {})
      verifier = new MandateVerifier(identity, jwks, cache)
      this.#verifiers.set(key, verifier)
    }
    const context = { verifier, store: this.#store ?? this.#storeFrom(env) }
    const f = this.#fixed
    if (this.#store !== undefined && f.issuer !== undefined && f.zoneId !== undefined && f.audience !== undefined) {
      this.#fixedContext = context
    }
    return context
  }

  #identity(env: unknown): Identity {
    const f = this.#fixed
    if (f.issuer !== undefined && f.zoneId !== undefined && f.audience !== undefined) return f as Identity
    const resolved: Partial<Record<keyof Identity, string>> = { ...f }
    for (const name of ['issuer', 'zoneId', 'audience'] as const) {
      const value = resolved[name] ?? fromBindings(env, VARS[name]) ?? fromGlobalEnv(VARS[name])
      if (value === undefined) {
        throw new CaracalError(
          'server_misconfigured',
          `no ${name}; pass \`${name}\` or set ${VARS[name]} in the Worker's vars`,
        )
      }
      resolved[name] = value
    }
    const problem = issuerProblem(resolved.issuer!)
    if (problem !== undefined) throw new CaracalError('server_misconfigured', `${VARS.issuer} ${problem}`)
    return resolved as Identity
  }

  #storeFrom(env: unknown): RevocationStore {
    let store: unknown
    try {
      store = this.#storeFactory!(env)
    } catch (error) {
      throw new CaracalError('server_misconfigured', 'the `revocations` factory threw (its error is the cause)', {
        cause: error,
      })
    }
    const problem = storeProblem(store)
    if (problem !== undefined) {
      throw new CaracalError('server_misconfigured', `the \`revocations\` factory returned a store that ${problem}`)
    }
    return store as RevocationStore
  }

  #report(error: CaracalError, request: Request): void {
    const hook = this.#options.onError
    if (hook === undefined) return
    // An operator's logging must not change what the client gets: a throw is ignored, and so is
    // the rejection of an async hook (left alone, it would be an unhandled rejection, which ends a
    // Node process).
    try {
      const result: unknown = hook(error, request)
      if (isPromise(result)) result.then(undefined, () => {})
    } catch {
      // ignored, as above
    }
  }
}
