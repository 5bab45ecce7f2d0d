/**
 * Revocation store on a Cloudflare Workers KV namespace.
 *
 * Trade-offs:
 * - Shared by every isolate and location of a deployment, with no client library and no extra
 *   service: the binding is all it takes. But Workers KV is eventually consistent. A revocation
 *   written in one location usually reaches the others within about 60 s, and can take longer; a
 *   location that read the key recently keeps serving its cached answer (an absent key included)
 *   for `cacheTtl`. A revoked mandate can therefore still pass for 60 s or more in some places.
 *   Where that window is not acceptable, use `caracal-fetch/upstash` (one strongly consistent
 *   Redis) instead.
 * - One read per verification: all anchors and the zone epoch in one bulk `get(keys[])` (up to 100
 *   keys per call; a mandate has at most four anchors). KV bills reads per key, so a verification
 *   costs up to five key reads. Where the runtime answers an array `get` with anything but a Map
 *   (a runtime or wrapper without bulk reads), the store falls back to one `get` per key in
 *   parallel and remembers that for the namespace.
 * - KV has no compare-and-set, so "epochs only go up" cannot be atomic here: see
 *   `markDelegationEpoch`. Upstash raises epochs atomically with a server-side script.
 * - Epochs outlive their TTL in an isolate that saw them. The store remembers, per isolate, the
 *   highest epoch it has read or written for each zone (up to 1000 zones; the oldest is forgotten
 *   first) and answers with that when KV holds less. So after the epoch key's `expirationTtl` lapses
 *   in KV, or a lower value overwrites it, an isolate that saw the epoch keeps refusing older
 *   mandates as `delegation_stale` until the isolate is recycled; isolates that never saw it follow
 *   KV. This is the safe direction (more refusals, never fewer), but on KV an epoch's TTL is not a
 *   hard end of its enforcement, and `currentDelegationEpoch` can answer an epoch KV no longer has.
 * - Writes: `expirationTtl` must be at least 60 s on KV, so shorter TTLs are rounded up to 60 s (a
 *   revocation that lasts a little longer is the safe direction). KV accepts about one write per
 *   second to the same key; revocations are written once per anchor, so this rarely matters.
 * - Any KV failure (a thrown or rejected `get`, an unreadable epoch) rejects the lookup, which
 *   `withCaracal` turns into 503 `temporarily_unavailable`: the store fails closed.
 */
import { rejectUnknownKeys } from '../option-keys.js'
import { DEFAULT_KEY_PREFIX, DEFAULT_REVOCATION_TTL_MS, epochKey, revokedKey } from './keys.js'
import { firstRevoked, isStored, parseEpoch } from './status.js'
import type { BatchRevocationStore, RevocationStatus } from './types.js'
import { validateAnchor, validateEpoch, validateTtl, validateZoneId } from './validate.js'
import { isMapLike, isNamespace, type KvGetOptions, type KvNamespaceLike } from './kv-namespace.js'

export interface KvRevocationStoreOptions {
  /**
   * Key prefix, shared with Caracal's Redis store so the same key names work everywhere.
   * @default 'caracal:revoked:sessions:'
   */
  keyPrefix?: string
  /**
   * Default lifetime of a revocation or epoch mark written by this store, in milliseconds. KV's
   * minimum `expirationTtl` is 60 s: shorter values are rounded up to 60 s.
   * @default 86_400_000 (24 h, as Caracal's Redis store)
   */
  ttlMs?: number
  /**
   * KV's `cacheTtl` for reads, in seconds (at least 30, KV's minimum). A longer value means fewer
   * cold reads from KV's central store, and a longer time before a location that already read a key
   * (including "not revoked") sees a new revocation. Left unset, the platform default applies
   * (60 s at the time of writing).
   * @default undefined (the platform default)
   */
  cacheTtl?: number
}

// A record, so the compiler holds the list to the interface: a new option is a new key here.
const KV_STORE_KEYS = Object.keys({ keyPrefix: true, ttlMs: true, cacheTtl: true } satisfies Record<
  keyof KvRevocationStoreOptions,
  true
>)

/** KV's floor for `expirationTtl`, in seconds. */
const MIN_EXPIRATION_TTL_S = 60
/** KV's floor for `cacheTtl`, in seconds. */
const MIN_CACHE_TTL_S = 30
/** KV's cap on keys per bulk `get`. */
const MAX_BULK_KEYS = 100
/** Zones whose epoch high-water mark one isolate remembers per namespace. */
const MAX_REMEMBERED_ZONES = 1000

/** Options of the read inside `markDelegationEpoch`: never the user's `cacheTtl`. */
const FRESH_READ: KvGetOptions = { type: 'text' }

/** Namespaces whose array `get` did not answer a Map: read them one key at a time. */
const noBulkGet = new WeakSet<object>()
/**
 * The highest epoch this isolate has read or written, per namespace and epoch key. KV can lose an
 * epoch raise to a concurrent lower write, and drops the key when its TTL lapses; an isolate that
 * once saw the higher value keeps enforcing it in both cases (see the file's opening comment).
 */
const highWater = new WeakMap<object, Map<string, number>>()

/** KV's `expirationTtl` for a TTL in milliseconds: whole seconds, never under KV's 60 s floor. */
export function kvExpirationTtl(ttlMs: number): number {
  return Math.max(MIN_EXPIRATION_TTL_S, Math.ceil(ttlMs / 1000))
}

/**
 * A revocation store on a Workers KV namespace, with the key layout of Caracal's Redis store:
 * `caracal:revoked:sessions:<anchor>` = `"1"` and `caracal:revoked:sessions:delegation-epoch:<zoneId>`
 * = decimal epoch. Build it per request from the binding (construction is cheap and does no I/O).
 *
 * Revocations take 60 s or more to reach every location (KV is eventually consistent); see
 * the README (Cloudflare Workers KV), and use `caracal-fetch/upstash` where that is too long.
 *
 * @example
 * ```ts
 * import { withCaracal } from 'caracal-fetch'
 * import { KvRevocationStore } from 'caracal-fetch/cloudflare-kv'
 *
 * export default {
 *   fetch: withCaracal(handler, {
 *     revocations: (env: { REVOCATIONS: KVNamespace }) => new KvRevocationStore(env.REVOCATIONS),
 *   }),
 * }
 * ```
 */
export class KvRevocationStore implements BatchRevocationStore {
  readonly #kv: KvNamespaceLike
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #getOptions: KvGetOptions

  constructor(namespace: KvNamespaceLike, options: KvRevocationStoreOptions = {}) {
    if (!isNamespace(namespace)) {
      throw new TypeError(
        'KvRevocationStore: the first argument must be a Workers KV binding (e.g. env.REVOCATIONS); check the binding name in the `kv_namespaces` of your wrangler config',
      )
    }
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('KvRevocationStore: options must be an object')
    }
    rejectUnknownKeys('KvRevocationStore', options, KV_STORE_KEYS)
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new TypeError('KvRevocationStore: keyPrefix must be a non-empty string')
    }
    validateTtl('KvRevocationStore', options.ttlMs)
    const getOptions: KvGetOptions = { type: 'text' }
    if (options.cacheTtl !== undefined) {
      const cacheTtl = options.cacheTtl
      if (typeof cacheTtl !== 'number' || !Number.isFinite(cacheTtl) || cacheTtl < MIN_CACHE_TTL_S) {
        throw new TypeError(
          `KvRevocationStore: cacheTtl is in seconds and must be at least ${MIN_CACHE_TTL_S} (Workers KV's minimum); leave it unset for the platform default`,
        )
      }
      getOptions.cacheTtl = Math.ceil(cacheTtl)
    }
    this.#kv = namespace
    this.#prefix = prefix
    this.#ttlMs = options.ttlMs ?? DEFAULT_REVOCATION_TTL_MS
    this.#getOptions = getOptions
  }

  /**
   * Marks an anchor (`sid`, `root_sid`, `agent_session_id` or `delegation_edge_id`) revoked for
   * `ttlMs` (rounded up to whole seconds, and to at least 60 s, KV's minimum).
   */
  async markRevoked(anchor: string, ttlMs?: number): Promise<void> {
    validateAnchor('KvRevocationStore.markRevoked', anchor)
    validateTtl('KvRevocationStore.markRevoked', ttlMs)
    await this.#kv.put(revokedKey(this.#prefix, anchor), '1', {
      expirationTtl: kvExpirationTtl(ttlMs ?? this.#ttlMs),
    })
  }

  async isRevoked(anchor: string): Promise<boolean> {
    validateAnchor('KvRevocationStore.isRevoked', anchor)
    return isStored(await this.#kv.get(revokedKey(this.#prefix, anchor), this.#getOptions))
  }

  /**
   * Raises a zone's delegation epoch; never lowers it.
   *
   * KV has no compare-and-set, so this reads, compares and writes. The read does not pass the
   * store's `cacheTtl` (a longer cache would widen the window), but KV may still answer it from its
   * edge cache (about 60 s by default), so it can be stale. Two writers racing (or one reading a
   * stale value) can let a lower epoch overwrite a higher one: KV keeps the last write. Until the
   * next raise for that zone, mandates issued between the two epochs are not `delegation_stale` in
   * isolates that never saw the higher value. To narrow that window, this store never writes below
   * the highest epoch it has read or written in this isolate, rewrites the key with that maximum
   * when the stored value is lower, and answers lookups with the maximum too. Where the race
   * matters, write epochs from one place only (e.g. a single queue consumer), or use
   * `caracal-fetch/upstash`, which raises atomically.
   *
   * Expiry: when KV already holds the highest epoch this isolate knows, a lower or equal epoch
   * writes nothing and the key keeps its expiry. Any write (a raise, or the repair of a lower or
   * lapsed key with the remembered maximum) sets a fresh `expirationTtl`.
   */
  async markDelegationEpoch(zoneId: string, epoch: number, ttlMs?: number): Promise<void> {
    validateEpoch('KvRevocationStore.markDelegationEpoch', zoneId, epoch)
    validateTtl('KvRevocationStore.markDelegationEpoch', ttlMs)
    const key = epochKey(this.#prefix, zoneId)
    // Not `cacheTtl`: a read cached for longer would widen the race described above.
    const stored = parseEpoch(await this.#kv.get(key, FRESH_READ))
    const target = Math.max(epoch, stored ?? 0, this.#remembered(key) ?? 0)
    if (stored !== undefined && stored >= target) {
      this.#remember(key, stored)
      return
    }
    await this.#kv.put(key, String(target), { expirationTtl: kvExpirationTtl(ttlMs ?? this.#ttlMs) })
    this.#remember(key, target)
  }

  /**
   * The zone's delegation epoch: the higher of KV's value and the highest this isolate has seen
   * (see the file's opening comment), or undefined when neither exists.
   */
  async currentDelegationEpoch(zoneId: string): Promise<number | undefined> {
    validateZoneId('KvRevocationStore.currentDelegationEpoch', zoneId)
    const key = epochKey(this.#prefix, zoneId)
    return this.#observe(key, parseEpoch(await this.#kv.get(key, this.#getOptions)))
  }

  /** Every anchor and, when `zoneId` is given, the zone epoch, in one bulk KV read. */
  async lookup(anchors: readonly string[], zoneId: string | undefined): Promise<RevocationStatus> {
    const keys = anchors.map((a) => revokedKey(this.#prefix, a))
    const zoneKey = zoneId === undefined ? undefined : epochKey(this.#prefix, zoneId)
    if (zoneKey !== undefined) keys.push(zoneKey)
    const values = await this.#getMany(keys)
    const revoked = firstRevoked(anchors, values, isStored)
    const delegationEpoch =
      zoneKey === undefined ? undefined : this.#observe(zoneKey, parseEpoch(values[anchors.length]))
    return { revoked, delegationEpoch }
  }

  /** The values of `keys`, in order: one bulk `get` per 100 keys, or single gets where bulk is missing. */
  async #getMany(keys: readonly string[]): Promise<unknown[]> {
    if (keys.length === 0) return []
    if (!noBulkGet.has(this.#kv)) {
      const chunks: string[][] = []
      for (let i = 0; i < keys.length; i += MAX_BULK_KEYS) chunks.push(keys.slice(i, i + MAX_BULK_KEYS))
      const answers = await Promise.all(chunks.map((chunk) => this.#kv.get(chunk, this.#getOptions)))
      if (answers.every(isMapLike)) {
        return chunks.flatMap((chunk, i) => chunk.map((key) => answers[i]!.get(key)))
      }
      // Not a Map: this runtime does not read in bulk (it may have read the array as one string key).
      noBulkGet.add(this.#kv)
    }
    return Promise.all(keys.map((key) => this.#kv.get(key, this.#getOptions)))
  }

  /** The stored epoch, or the higher one this isolate has already seen. */
  #observe(key: string, stored: number | undefined): number | undefined {
    const known = this.#remembered(key)
    if (stored !== undefined && (known === undefined || stored > known)) {
      this.#remember(key, stored)
      return stored
    }
    return known ?? stored
  }

  #remembered(key: string): number | undefined {
    return highWater.get(this.#kv)?.get(key)
  }

  #remember(key: string, epoch: number): void {
    let marks = highWater.get(this.#kv)
    if (marks === undefined) highWater.set(this.#kv, (marks = new Map()))
    const known = marks.get(key)
    if (known !== undefined && known >= epoch) return
    if (known === undefined && marks.size >= MAX_REMEMBERED_ZONES) {
      // Drop the oldest zone: forgetting only loses the regression guard, never a KV value.
      for (const oldest of marks.keys()) {
        marks.delete(oldest)
        break
      }
    }
    marks.set(key, epoch)
  }
}
