/**
 * The zone JWKS kept outside the isolate (the Workers Cache API by default, or any get/put store
 * such as a KV namespace), so a fresh isolate where the keys are already held verifies its first
 * request without a round trip to the STS.
 *
 * A persisted entry is only a faster way to the same answer: it serves only while the response it
 * came from is fresh (its fetch time plus its clamped `max-age`), and its keys pass the same checks
 * as fetched ones. Anything unreadable, oversized, from another URL, dated in the future or past
 * its freshness is ignored and the JWKS is fetched. Store failures never fail a request.
 */
/**
 * Where the JWKS is kept between isolates: a Workers KV namespace fits as it is, and so does any
 * object with these two methods. Values are strings; `expirationTtl` is in seconds.
 *
 * @example
 * ```ts
 * const jwksCache: JwksStore = {
 *   get: (key) => redis.get<string>(key),
 *   put: (key, value, { expirationTtl }) => redis.set(key, value, { ex: expirationTtl }),
 * }
 * withCaracal(handler, { audience, revocations, jwksCache })
 * ```
 */
export interface JwksStore {
  get(key: string): Promise<string | null | undefined> | string | null | undefined
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown> | unknown
}

/** The part of the Workers Cache API (`caches.default`) the default store uses. */
interface CacheLike {
  match(request: Request): Promise<Response | undefined>
  put(request: Request, response: Response): Promise<void>
}

/** What the `jwksCache` option accepts: a store, or `false` for none. */
export type JwksCacheOption = false | JwksStore

/** An entry larger than this is not a JWKS the fetch path would accept (256 KiB) plus its envelope. */
const MAX_ENTRY_CHARS = 256 * 1024 + 1024
/** KV refuses a shorter `expirationTtl`; a longer life costs nothing, freshness is checked on read. */
const MIN_EXPIRATION_TTL_S = 60

/** A persisted JWKS response: the parsed body, when it was fetched and for how long it is fresh. */
export interface PersistedJwks {
  readonly jwks: unknown
  readonly fetchedAt: number
  readonly ttlMs: number
}

/** Whether a value can serve as a JwksStore. */
function isJwksStore(value: unknown): value is JwksStore {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v['get'] === 'function' && typeof v['put'] === 'function'
}

/** Checks the `jwksCache` option at construction. */
export function validateJwksCacheOption(where: string, value: unknown): void {
  if (value === undefined || value === false || isJwksStore(value)) return
  throw new TypeError(
    `${where}: \`jwksCache\` must be false or a store with get(key) and put(key, value, { expirationTtl }), such as a KV namespace`,
  )
}

/** The Cache API as a JwksStore: the key is a URL, the entry a response kept for `expirationTtl`. */
function cacheApiStore(cache: CacheLike): JwksStore {
  return {
    async get(key) {
      const hit = await cache.match(new Request(key))
      return hit === undefined ? undefined : hit.text()
    },
    put(key, value, { expirationTtl }) {
      const headers = { 'content-type': 'application/json', 'cache-control': `max-age=${expirationTtl}` }
      return cache.put(new Request(key), new Response(value, { headers }))
    },
  }
}

/** The store `jwksCache` names: its value, else `caches.default` where the runtime has it (Workers). */
export function resolveJwksStore(option: JwksCacheOption | undefined): JwksStore | undefined {
  if (option === false) return undefined
  if (option !== undefined) return option
  const cache = (globalThis as { caches?: { default?: unknown } }).caches?.default
  if (typeof (cache as CacheLike | undefined)?.match !== 'function') return undefined
  return cacheApiStore(cache as CacheLike)
}

/**
 * The key of a JWKS URL's entry: the URL itself plus a marker, so the entry never answers a plain
 * `fetch` of the JWKS URL through the same cache (the Workers Cache API shares it with `fetch`).
 */
export function persistedKey(jwksUrl: string): string {
  return `${jwksUrl}${jwksUrl.includes('?') ? '&' : '?'}caracal-fetch-cache=1`
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

export interface JwksPersistenceOptions {
  /** The JWKS URL the entry belongs to. */
  readonly url: string
  /** The longest freshness a response may claim (the fetch path's `max-age` clamp). */
  readonly maxTtlMs: number
  /** Deadline of one store call, in ms: a slow store falls back to fetching, never holds a request. */
  readonly timeoutMs: number
  /** Wait for the write (Workers: I/O left running may be cancelled with the request that started it). */
  readonly awaitWrites: boolean
}

/** Reads and writes one JWKS URL's entry in a JwksStore. */
export class JwksPersistence {
  readonly #store: JwksStore
  readonly #options: JwksPersistenceOptions
  readonly #key: string

  constructor(store: JwksStore, options: JwksPersistenceOptions) {
    this.#store = store
    this.#options = options
    this.#key = persistedKey(options.url)
  }

  /** The persisted response, if there is one still fresh at `now`; undefined otherwise, never a rejection. */
  async read(now: number): Promise<PersistedJwks | undefined> {
    let raw: unknown
    try {
      raw = await withDeadline(Promise.resolve(this.#store.get(this.#key)), this.#options.timeoutMs, 'jwksCache get')
    } catch {
      return undefined
    }
    if (typeof raw !== 'string' || raw.length > MAX_ENTRY_CHARS) return undefined
    let entry: unknown
    try {
      entry = JSON.parse(raw)
    } catch {
      return undefined
    }
    const { v, url, fetchedAt, ttlMs, jwks } = (entry ?? {}) as Record<string, unknown>
    if (v !== 1 || url !== this.#options.url) return undefined
    if (typeof fetchedAt !== 'number' || !Number.isFinite(fetchedAt) || fetchedAt > now) return undefined
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || ttlMs > this.#options.maxTtlMs) return undefined
    if (now >= fetchedAt + ttlMs) return undefined
    return { jwks, fetchedAt, ttlMs }
  }

  /**
   * Persists a fetched response. Never rejects: a failed write only means the next isolate fetches.
   * Awaited where the runtime needs it (see `awaitWrites`), otherwise left to finish on its own.
   */
  async write(fetched: PersistedJwks): Promise<void> {
    const value = JSON.stringify({ v: 1, url: this.#options.url, ...fetched })
    if (value.length > MAX_ENTRY_CHARS) return
    const expirationTtl = Math.max(MIN_EXPIRATION_TTL_S, Math.ceil(fetched.ttlMs / 1000))
    let put: Promise<unknown>
    try {
      put = Promise.resolve(this.#store.put(this.#key, value, { expirationTtl }))
    } catch (error) {
      put = Promise.reject(error)
    }
    const done = withDeadline(put, this.#options.timeoutMs, 'jwksCache put').then(
      () => undefined,
      () => undefined,
    )
    if (this.#options.awaitWrites) await done
  }
}
