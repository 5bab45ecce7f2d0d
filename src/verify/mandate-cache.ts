/**
 * The per-isolate cache of verified mandates, keyed by the exact token: a repeated token skips the
 * signature check (never the route requirements or the revocation lookup).
 */
import type { VerifiedMandate } from './verified.js'

/** Limits of the verified-mandate cache. */
export interface MandateCacheOptions {
  /**
   * Most cached mandates per verifier.
   * @default 10_000
   */
  maxEntries?: number
  /**
   * Most bytes held, estimated from token and claim sizes.
   * @default 16_777_216 (16 MiB)
   */
  maxBytes?: number
  /**
   * Longest time a verified mandate is reused without re-checking its signature, in milliseconds.
   * An entry never outlives the mandate's `exp` either.
   * @default 300_000 (5 min, the JWKS freshness window)
   */
  maxAgeMs?: number
}

interface Entry {
  readonly token: string
  /** `Bearer <token>`, the `Authorization` header nearly every request of this token carries. */
  readonly header: string
  readonly verified: VerifiedMandate
  /** The JWKS key generation the signature was checked under: any other is a miss. */
  readonly generation: number
  readonly expiresAtMs: number
  readonly bytes: number
}

/**
 * The JWKS key generation an entry must have been cached under to be served: the number itself
 * for a cache of one zone, or, for a cache that several zones share, a function giving the
 * current generation of the zone that verified the entry's mandate (each zone counts its own).
 */
export type CurrentGeneration = number | ((verified: VerifiedMandate, nowMs: number) => number)

/** The scheme and space of the `Authorization` header nearly every client sends. */
const BEARER = 'Bearer '

/**
 * A 32-bit FNV-1a fingerprint of a token's length and last 8 characters. For a verified token
 * those are 48 bits of the ES256 signature, which the STS draws at random, so fingerprints spread
 * evenly; more characters would only cost more on every request. `prefix` characters at the
 * start of `text` are not the token's: fingerprint(BEARER + t, BEARER.length) is fingerprint(t).
 */
function fingerprint(text: string, prefix = 0): number {
  const length = text.length
  let hash = 0x811c9dc5 ^ (length - prefix)
  for (let i = Math.max(prefix, length - 8); i < length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  }
  return hash >>> 0
}

/**
 * What an entry is counted as against `maxBytes`. Token characters are ASCII; the claims are roughly
 * the token's payload part decoded. The token is kept as a slice of the header, so the two share
 * their characters.
 */
export function estimatedEntryBytes(tokenLength: number): number {
  return tokenLength * 2 + 512
}

/**
 * Per-isolate cache of fully verified mandates, keyed by the exact token string. Only verified
 * mandates enter, so a flood of bad tokens cannot evict anything. Once the cache is full, a new
 * token is admitted at once if the oldest entry has expired, and otherwise only the second time it
 * is verified (a small table of fingerprints remembers the first time); it then evicts one entry
 * (expired first, then the oldest). So a flood of valid tokens that are each used once, or a pool
 * of tokens larger than the cache, evicts nothing and does not churn the heap; a mandate that is
 * reused still gets in, one verification later.
 */
export class MandateCache {
  // Keyed by fingerprint, and an entry answers only to its exact token: a Map keyed by the token
  // itself would hash all of its characters on every lookup (the header's token is a new string
  // each request). Two verified tokens that share a fingerprint only evict each other; a token
  // made to share one (anyone can) finds an entry that is not its own: a miss.
  readonly #entries = new Map<number, Entry>()
  readonly #maxEntries: number
  readonly #maxBytes: number
  readonly #maxAgeMs: number
  #bytes = 0
  /** Fingerprints of tokens turned away at capacity, one per slot; see #seenBefore. */
  #seen: Uint32Array | undefined

  /** `limits` come resolved, defaults applied (see the core's options). */
  constructor(limits: Readonly<Required<MandateCacheOptions>>) {
    this.#maxEntries = limits.maxEntries
    this.#maxBytes = limits.maxBytes
    this.#maxAgeMs = limits.maxAgeMs
  }

  get size(): number {
    return this.#entries.size
  }

  get bytes(): number {
    return this.#bytes
  }

  /**
   * The cached mandate for `token` if it is still within its lifetime and was verified under the
   * JWKS key `generation` current now (see JwksCache#keyGeneration).
   */
  get(token: string, nowMs: number, generation: CurrentGeneration): VerifiedMandate | undefined {
    const fp = fingerprint(token)
    const entry = this.#entries.get(fp)
    if (entry === undefined || entry.token !== token) return undefined
    return this.#live(fp, entry, nowMs, generation)
  }

  /**
   * `get` for an `Authorization` header that is exactly `Bearer <token>`, with no token cut out
   * of it: one comparison of the whole header against the entry's. Any other spelling of the
   * header (`bearer`, two spaces) is undefined here and goes the way of `get`.
   */
  getByHeader(header: string, nowMs: number, generation: CurrentGeneration): VerifiedMandate | undefined {
    const fp = fingerprint(header, BEARER.length)
    const entry = this.#entries.get(fp)
    if (entry === undefined || entry.header !== header) return undefined
    return this.#live(fp, entry, nowMs, generation)
  }

  #live(fp: number, entry: Entry, nowMs: number, generation: CurrentGeneration): VerifiedMandate | undefined {
    if (
      entry.expiresAtMs <= nowMs ||
      entry.generation !== (typeof generation === 'number' ? generation : generation(entry.verified, nowMs))
    ) {
      this.#delete(fp, entry)
      return undefined
    }
    return entry.verified
  }

  set(token: string, generation: number, verified: VerifiedMandate, nowMs: number): void {
    const expiresAtMs = Math.min(verified.mandate.expiresAt * 1000, nowMs + this.#maxAgeMs)
    if (expiresAtMs <= nowMs) return
    const bytes = estimatedEntryBytes(token.length)
    if (bytes > this.#maxBytes) return
    const fp = fingerprint(token)
    const previous = this.#entries.get(fp)
    if (previous !== undefined) this.#delete(fp, previous)
    else if (this.#isFull(bytes) && !this.#oldestExpired(nowMs) && !this.#seenBefore(fp)) return
    while (this.#isFull(bytes)) {
      if (!this.#evictOne(nowMs)) break
    }
    const header = BEARER + token
    this.#entries.set(fp, { token: header.slice(BEARER.length), header, verified, generation, expiresAtMs, bytes })
    this.#bytes += bytes
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
    this.#seen = undefined
  }

  #isFull(bytes: number): boolean {
    return this.#entries.size >= this.#maxEntries || this.#bytes + bytes > this.#maxBytes
  }

  /** Room that costs nothing: the oldest insertion (the likeliest to have expired) has expired. */
  #oldestExpired(nowMs: number): boolean {
    const oldest = this.#entries.values().next()
    return oldest.done !== true && oldest.value.expiresAtMs <= nowMs
  }

  /**
   * True when `token` was turned away once already (and forgets it); otherwise remembers it.
   * Admitting on the first sight at capacity would evict a mandate in use for one that may never
   * come back, and every such entry outlives enough garbage collections to be promoted to the old
   * generation: under a pool of tokens larger than the cache that churn cost more than the lookup.
   */
  #seenBefore(hash: number): boolean {
    // Allocated on the first full insertion: 4 bytes a slot, about two slots per entry, at most 64 KiB.
    this.#seen ??= new Uint32Array(Math.min(16_384, Math.max(64, 2 ** Math.ceil(Math.log2(this.#maxEntries * 2)))))
    // A collision only admits a verified mandate one sighting early.
    const mark = (hash | 1) >>> 0 // never 0, the empty slot
    const slot = ((hash >>> 16) ^ hash) & (this.#seen.length - 1)
    if (this.#seen[slot] === mark) {
      this.#seen[slot] = 0
      return true
    }
    this.#seen[slot] = mark
    return false
  }

  #delete(fp: number, entry: Entry): void {
    this.#entries.delete(fp)
    this.#bytes -= entry.bytes
  }

  #evictOne(nowMs: number): boolean {
    // The oldest insertions come first; an expired one among the first few goes before the oldest.
    let oldest: [number, Entry] | undefined
    let looked = 0
    for (const pair of this.#entries) {
      oldest ??= pair
      if (pair[1].expiresAtMs <= nowMs) {
        this.#delete(pair[0], pair[1])
        return true
      }
      if (++looked >= 8) break
    }
    if (oldest === undefined) return false
    this.#delete(oldest[0], oldest[1])
    return true
  }
}
