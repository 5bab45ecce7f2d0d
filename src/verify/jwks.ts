import type { JWK } from 'jose'
import { primitive } from '#signature'
import { CaracalError, messageOf } from '../errors.js'
import { JwksPersistence, type JwksStore } from './jwks-persistence.js'

/** A JSON Web Key Set, as served at `{issuer}/.well-known/jwks.json`. */
export interface JsonWebKeySet {
  keys: readonly JWK[]
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

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

/** The STS sends `max-age=300`; this is the fallback when a response carries none. */
const DEFAULT_TTL_MS = 300_000
const MIN_TTL_MS = 30_000
const MAX_TTL_MS = 3_600_000
/** After a failed fetch with nothing cached, answer 503 at once for this long instead of re-fetching. */
const FAILURE_BACKOFF_MS = 5_000
const MAX_BODY_BYTES = 256 * 1024
const MAX_KEYS = 16
const MAX_REDIRECTS = 3

/** The JWKS URL of a zone. The zone comes from configuration, never from the token. */
export function jwksUrl(issuer: string, zoneId: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json?zone_id=${encodeURIComponent(zoneId)}`
}

function unavailable(reason: string, retryAfter: number, cause?: unknown): CaracalError {
  return new CaracalError('temporarily_unavailable', reason, { retryAfter, cause })
}

function unknownKid(kid: string): CaracalError {
  return new CaracalError('invalid_token', `no key with kid ${JSON.stringify(kid.slice(0, 80))} in the zone JWKS`, {
    claim: 'kid',
  })
}

function ttlFrom(cacheControl: string | null): number {
  if (cacheControl === null) return DEFAULT_TTL_MS
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(cacheControl)) return MIN_TTL_MS
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,9})"?\s*(?:,|$)/i.exec(cacheControl)
  if (!m) return DEFAULT_TTL_MS
  return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, Number(m[1]) * 1000))
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = response.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) {
    await response.body?.cancel().catch(() => {})
    throw new Error(`JWKS response declares ${declared} bytes, over the ${limit}-byte limit`)
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw new Error(`JWKS response exceeds the ${limit}-byte limit`)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}

interface Fetched {
  readonly jwks: unknown
  readonly ttlMs: number
}

/** GETs the JWKS within a deadline and a size limit, following redirects only on the same origin. */
async function download(fetchFn: FetchLike, url: string, timeoutMs: number): Promise<Fetched> {
  const controller = new AbortController()
  // The deadline also settles the download by itself: a custom `fetch` (a service binding, a
  // wrapper) that ignores `signal` must not hold requests past it.
  let expire: (reason: unknown) => void = () => {}
  const deadline = new Promise<never>((_, reject) => (expire = reject))
  deadline.catch(() => {})
  const timer = setTimeout(() => {
    const reason = new Error(`JWKS fetch timed out after ${timeoutMs} ms`)
    controller.abort(reason)
    expire(reason)
  }, timeoutMs)
  try {
    return await Promise.race([fetchJwks(fetchFn, url, controller), deadline])
  } finally {
    clearTimeout(timer)
  }
}

async function fetchJwks(fetchFn: FetchLike, url: string, controller: AbortController): Promise<Fetched> {
  try {
    const origin = new URL(url).origin
    let current = url
    for (let hop = 0; ; hop++) {
      const response = await fetchFn(current, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: controller.signal,
      })
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel().catch(() => {})
        const next = new URL(location, current)
        if (next.origin !== origin) throw new Error(`JWKS redirect to another origin refused: ${next.origin}`)
        if (hop >= MAX_REDIRECTS) throw new Error('too many JWKS redirects')
        current = next.href
        continue
      }
      // A custom `fetch` may follow redirects itself, whatever `redirect: 'manual'` asked: then the
      // response says where it came from, and only the issuer's origin is trusted for keys.
      const servedFrom = response.redirected && response.url !== '' ? new URL(response.url).origin : origin
      if (servedFrom !== origin) {
        await response.body?.cancel().catch(() => {})
        throw new Error(`JWKS redirect to another origin refused: ${servedFrom}`)
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {})
        throw new Error(`JWKS endpoint answered HTTP ${response.status}`)
      }
      const text = await readLimited(response, MAX_BODY_BYTES)
      return { jwks: JSON.parse(text), ttlMs: ttlFrom(response.headers.get('cache-control')) }
    }
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason
    throw error
  }
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

/** A key as the runtime's signature primitive imported it (CryptoKey or node:crypto KeyObject). */
export type VerificationKey = unknown

interface ImportedKey {
  readonly fingerprint: string
  readonly key: VerificationKey
}

/**
 * The keys of one issuer+zone. Keys are imported once per distinct JWK; a request on the hot path
 * gets its key synchronously.
 */
export class JwksCache {
  readonly #options: JwksCacheOptions
  readonly #url: string
  #keys: Map<string, ImportedKey> | undefined
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
      if (hit !== undefined) return hit.key
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
    if (hit !== undefined) return hit.key
    // The keys were fetched just now: a second fetch for this kid could only say the same.
    if (loaded === true) throw unknownKid(kid)
    if (loaded === false) {
      // Persisted keys may predate a rotation: fetch, as this load would have without the store,
      // spending no kid-refetch cooldown; if that fails, the unknown-kid rules below apply.
      const fetched = await this.#refresh(this.#options.now(), false, false).catch(() => false)
      const found = this.#keys!.get(kid)
      if (found !== undefined) return found.key
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
    if (hit !== undefined) return hit.key
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
    const next = new Map<string, ImportedKey>()
    for (const k of list.slice(0, MAX_KEYS) as unknown[]) {
      if (!isUsableJwk(k)) continue
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
