/**
 * The keys of one issuer+zone: imported once, cached for the JWKS max-age, served stale for a
 * bounded time while the STS is unreachable, refetched on an unknown kid at most once per cooldown.
 */
import { primitive } from '#signature'
import type { JWK } from 'jose'
import { CaracalError, messageOf } from '../errors.js'
import { download, jwksUrl, MAX_TTL_MS, type Fetched, type FetchLike, type JsonWebKeySet } from './jwks-download.js'
import { JwksPersistence, type JwksStore } from './jwks-persistence.js'

export interface JwksCacheOptions {
  readonly issuer: string
  readonly zoneId: string
  readonly fetch: FetchLike | undefined
  readonly staticJwks: JsonWebKeySet | undefined
  readonly timeoutMs: number
  readonly cooldownMs: number
  readonly maxStaleMs: number
  /** False on Workers, where a pending fetch belongs to the request that started it. */
  readonly shareInflight: boolean
  readonly now: () => number
  /** Where the fetched JWKS is kept for the next isolate; none when undefined. */
  readonly jwksStore?: JwksStore | undefined
}

/** After a failed fetch with nothing cached, answer 503 at once for this long instead of re-fetching. */
const FAILURE_BACKOFF_MS = 5_000
/** Keys read from one JWKS; the STS serves two (active and previous). */
const MAX_KEYS = 16

function unavailable(reason: string, retryAfter: number, cause?: unknown): CaracalError {
  return new CaracalError('temporarily_unavailable', reason, { retryAfter, cause })
}

function ambiguousKid(kid: string, count: number): CaracalError {
  return new CaracalError(
    'invalid_token',
    `kid ${JSON.stringify(kid.slice(0, 80))} is ambiguous: it names ${count} keys in the zone JWKS, and no key is picked among them`,
    { claim: 'kid' },
  )
}

function unknownKid(kid: string): CaracalError {
  return new CaracalError('invalid_token', `no key with kid ${JSON.stringify(kid.slice(0, 80))} in the zone JWKS`, {
    claim: 'kid',
  })
}

/**
 * Whether a JWK can be a zone signing key: a public EC P-256 key with a `kid`, and, where it says
 * so, meant for signatures with ES256. Other keys in the set are skipped, not fatal.
 */
export function isUsableJwk(jwk: unknown): jwk is JWK & { kid: string; x: string; y: string } {
  if (typeof jwk !== 'object' || jwk === null) return false
  const k = jwk as JWK
  if (k.kty !== 'EC' || k.crv !== 'P-256' || typeof k.kid !== 'string' || k.kid.length === 0) return false
  if (typeof k.x !== 'string' || typeof k.y !== 'string' || k.d !== undefined) return false
  if (k.use !== undefined && k.use !== 'sig') return false
  return k.alg === undefined || k.alg === 'ES256'
}

/** The key a kid names, or the refusal when several keys share it. */
function keyOf(kid: string, entry: KidEntry): VerificationKey {
  if (entry.key === undefined) throw ambiguousKid(kid, (entry as AmbiguousKid).count)
  return entry.key
}

/** A key as the runtime's signature primitive imported it (CryptoKey or node:crypto KeyObject). */
export type VerificationKey = unknown

interface ImportedKey {
  readonly fingerprint: string
  readonly key: VerificationKey
}

/** What a kid that several keys share maps to: never a key. */
interface AmbiguousKid {
  readonly fingerprint: ''
  readonly key: undefined
  readonly count: number
}

type KidEntry = ImportedKey | AmbiguousKid

/**
 * The keys of one issuer+zone. Keys are imported once per distinct JWK; a request on the hot path
 * gets its key synchronously.
 */
export class JwksCache {
  readonly #options: JwksCacheOptions
  readonly #url: string
  #keys: Map<string, KidEntry> | undefined
  #freshUntil = 0
  #staleUntil = 0
  #lastKidRefetch = Number.NEGATIVE_INFINITY
  /** End of the backoff after a failed download; 0 once a download succeeds. */
  #failedUntil = 0
  /** Settles true when the keys came from the JWKS endpoint, false when from the persisted entry. */
  #inflight: Promise<boolean> | undefined
  /** Bumped whenever a kid stops naming the key object it named; see keyGeneration. */
  #generation = 0
  /** Number of JWKS downloads started (diagnostics and tests). */
  fetchCount = 0
  readonly #persisted: JwksPersistence | undefined

  constructor(options: JwksCacheOptions) {
    this.#options = options
    this.#url = jwksUrl(options.issuer, options.zoneId)
    this.#persisted =
      options.jwksStore === undefined || options.staticJwks !== undefined
        ? undefined
        : new JwksPersistence(options.jwksStore, {
            url: this.#url,
            maxTtlMs: MAX_TTL_MS,
            timeoutMs: options.timeoutMs,
            awaitWrites: !options.shareInflight,
          })
  }

  get url(): string {
    return this.#url
  }

  /** The verification key for `kid`; a CaracalError when there is none or none can be had. */
  getKey(kid: string): VerificationKey | Promise<VerificationKey> {
    const now = this.#options.now()
    if (this.#keys !== undefined && now < this.#freshUntil) {
      const hit = this.#keys.get(kid)
      if (hit !== undefined) return keyOf(kid, hit)
      return this.#unknownKid(kid, now)
    }
    return this.#expired(kid, now)
  }

  /**
   * The key `kid` names in the last successful fetch, while not past the stale window; undefined
   * otherwise. The object stays the same across refetches as long as the key material does.
   */
  currentKey(kid: string, now: number): VerificationKey | undefined {
    if (this.#keys === undefined || now >= this.#staleUntil) return undefined
    return this.#keys.get(kid)?.key
  }

  /**
   * A number that stays the same for as long as every kid goes on naming the very key object it
   * names now (new kids may come), and the keys are within their stale window; -1 when there are
   * no current keys. A mandate verified under generation g stands while this is still g: one
   * comparison per cached request instead of a key lookup.
   */
  keyGeneration(now: number): number {
    return this.#keys === undefined || now >= this.#staleUntil ? -1 : this.#generation
  }

  /** Loads the keys now (used by `warmup()`); rejects with `temporarily_unavailable` on failure. */
  async load(): Promise<void> {
    await this.#refresh(this.#options.now(), true, true)
  }

  async #expired(kid: string, now: number): Promise<VerificationKey> {
    // Keys fetched earlier may serve, for a bounded time, while the JWKS cannot be refetched; after
    // a failure they serve without a new attempt until the backoff ends, so an outage does not add
    // a fetch timeout to every request.
    const stale = this.#keys !== undefined && now < this.#staleUntil
    /** Where the keys came from: true the JWKS endpoint, false the persisted entry, undefined neither. */
    let loaded: boolean | undefined
    if (!stale || now >= this.#failedUntil) {
      try {
        loaded = await this.#refresh(now, false, true)
      } catch (error) {
        if (this.#keys === undefined || this.#options.now() >= this.#staleUntil) throw error
      }
    }
    const hit = this.#keys!.get(kid)
    if (hit !== undefined) return keyOf(kid, hit)
    // The keys were fetched just now: a second fetch for this kid could only say the same.
    if (loaded === true) throw unknownKid(kid)
    if (loaded === false) {
      // Persisted keys may predate a rotation: fetch, as this load would have without the store,
      // spending no kid-refetch cooldown; if that fails, the unknown-kid rules below apply.
      const fetched = await this.#refresh(this.#options.now(), false, false).catch(() => false)
      const found = this.#keys!.get(kid)
      if (found !== undefined) return keyOf(kid, found)
      if (fetched) throw unknownKid(kid)
    }
    return this.#unknownKid(kid, this.#options.now())
  }

  async #unknownKid(kid: string, now: number): Promise<VerificationKey> {
    // A key that rotated in since the last fetch: refetch, at most once per cooldown window, so
    // a flood of made-up kids cannot become a flood of fetches.
    let fetchedMeanwhile = false
    if (this.#inflight !== undefined && this.#options.shareInflight) {
      fetchedMeanwhile = await this.#inflight.catch(() => true)
    }
    if (!fetchedMeanwhile && now - this.#lastKidRefetch >= this.#options.cooldownMs) {
      this.#lastKidRefetch = now
      await this.#refresh(now, true, false)
    }
    const hit = this.#keys?.get(kid)
    if (hit !== undefined) return keyOf(kid, hit)
    // Unknown to keys fetched just now is invalid_token. While the JWKS cannot be fetched, the kid
    // may be a key that rotated in: 503 until the next refetch may run, like the fetch that failed.
    if (this.#failedUntil !== 0) {
      const wait = Math.ceil((this.#lastKidRefetch + this.#options.cooldownMs - this.#options.now()) / 1000)
      throw unavailable(
        `no key with kid ${JSON.stringify(kid.slice(0, 80))} cached, and the JWKS cannot be fetched`,
        Math.max(1, wait),
      )
    }
    throw unknownKid(kid)
  }

  /**
   * Loads the keys: from the persisted entry when `mayUsePersisted` and it is fresh, else from the
   * JWKS endpoint. Resolves true when they came from the endpoint.
   */
  #refresh(now: number, force: boolean, mayUsePersisted: boolean): Promise<boolean> {
    if (this.#options.staticJwks !== undefined) {
      if (this.#keys !== undefined) return Promise.resolve(true)
      return this.#install(this.#options.staticJwks, Number.POSITIVE_INFINITY).catch((error: unknown) => {
        throw new CaracalError('server_misconfigured', `the \`jwks\` option is unusable: ${(error as Error).message}`, {
          cause: error,
        })
      })
    }
    // After a failed fetch, wait out the backoff whatever is cached: once stale keys have run out
    // too, a request per request to a failing STS would be a flood (and a timeout each).
    if (!force && now < this.#failedUntil) {
      const wait = Math.ceil((this.#failedUntil - now) / 1000)
      return Promise.reject(unavailable('JWKS fetch failed recently; not retrying yet', Math.max(1, wait)))
    }
    if (this.#options.shareInflight && this.#inflight !== undefined) return this.#inflight
    const run = this.#loadPersisted(mayUsePersisted).then((loaded) => (loaded ? false : this.#fetchAndInstall()))
    if (this.#options.shareInflight) {
      this.#inflight = run
      const clear = (): void => {
        if (this.#inflight === run) this.#inflight = undefined
      }
      run.then(clear, clear)
    }
    return run
  }

  /** Installs the persisted entry when there is a fresh, valid one; false otherwise. */
  async #loadPersisted(mayUsePersisted: boolean): Promise<boolean> {
    if (!mayUsePersisted || this.#persisted === undefined) return false
    const entry = await this.#persisted.read(this.#options.now())
    if (entry === undefined) return false
    try {
      await this.#install(entry.jwks, entry.fetchedAt + entry.ttlMs - this.#options.now())
      return true
    } catch {
      // Keys that would not pass as fetched ones are not trusted from a store either.
      return false
    }
  }

  async #fetchAndInstall(): Promise<true> {
    this.fetchCount++
    const fetchFn = this.#options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init))
    let fetched: Fetched
    try {
      fetched = await download(fetchFn, this.#url, this.#options.timeoutMs)
    } catch (error) {
      this.#failedUntil = this.#options.now() + FAILURE_BACKOFF_MS
      throw unavailable(`JWKS unavailable at ${this.#url}: ${messageOf(error)}`, FAILURE_BACKOFF_MS / 1000, error)
    }
    const fetchedAt = this.#options.now()
    try {
      await this.#install(fetched.jwks, fetched.ttlMs)
    } catch (error) {
      this.#failedUntil = this.#options.now() + FAILURE_BACKOFF_MS
      throw unavailable(
        `JWKS at ${this.#url} is unusable: ${(error as Error).message}`,
        FAILURE_BACKOFF_MS / 1000,
        error,
      )
    }
    await this.#persisted?.write({ jwks: fetched.jwks, fetchedAt, ttlMs: fetched.ttlMs })
    return true
  }

  /** Resolves true (keys in place) for #refresh's callers; rejects when the set is unusable. */
  async #install(jwks: unknown, ttlMs: number): Promise<true> {
    const list = (jwks as { keys?: unknown } | null)?.keys
    if (!Array.isArray(list)) throw new Error('JWKS has no `keys` array')
    const usable = (list.slice(0, MAX_KEYS) as unknown[]).filter(isUsableJwk)
    const perKid = new Map<string, number>()
    for (const k of usable) perKid.set(k.kid, (perKid.get(k.kid) ?? 0) + 1)
    const next = new Map<string, KidEntry>()
    for (const k of usable) {
      // A verifier must never choose among keys that share a kid: such a kid names no key at all.
      const count = perKid.get(k.kid)!
      if (count > 1) {
        next.set(k.kid, { fingerprint: '', key: undefined, count })
        continue
      }
      const fingerprint = `${k.x}.${k.y}`
      const known = this.#keys?.get(k.kid)
      if (known !== undefined && known.fingerprint === fingerprint) {
        next.set(k.kid, known)
        continue
      }
      try {
        const key = await primitive.importKey({ kty: 'EC', crv: 'P-256', x: k.x, y: k.y })
        next.set(k.kid, { fingerprint, key })
      } catch {
        // A malformed key is skipped; the others still serve.
      }
    }
    // A set whose only kids are ambiguous still installs: its tokens get invalid_token, not 503.
    if (next.size === 0) throw new Error('JWKS holds no usable EC P-256 ES256 signing key')
    const now = this.#options.now()
    if (this.#keys !== undefined) {
      for (const [kid, known] of this.#keys) {
        if (next.get(kid) !== known) {
          this.#generation++
          break
        }
      }
    }
    this.#keys = next
    this.#freshUntil = now + ttlMs
    this.#staleUntil = this.#freshUntil + this.#options.maxStaleMs
    this.#failedUntil = 0
    return true
  }
}

export { jwksUrl, type FetchLike, type JsonWebKeySet }
