/**
 * In-memory revocation store.
 *
 * Trade-offs: answers synchronously (no I/O on the hot path), but protects one isolate or process
 * only. On the edge, where a deployment runs many isolates, a revocation marked here is not seen by
 * the others: use `caracal-fetch/upstash` or `caracal-fetch/cloudflare-kv` to share revocations.
 * Bounded: when `maxEntries` is reached, expired marks are swept, then the oldest marks are dropped
 * (a dropped mark would re-admit a revoked mandate, so size it above the revocations you expect
 * within `ttlMs`).
 */
import { rejectUnknownKeys } from '../option-keys.js'
import { DEFAULT_REVOCATION_TTL_MS } from './keys.js'
import { firstRevoked, NOTHING_REVOKED } from './status.js'
import type { BatchRevocationStore, RevocationStatus } from './types.js'
import { validateAnchor, validateEpoch, validateTtl } from './validate.js'

export interface MemoryRevocationStoreOptions {
  /**
   * Default lifetime of a revocation or epoch mark, in milliseconds.
   * @default 86_400_000 (24 h, as Caracal's Redis store)
   */
  ttlMs?: number
  /**
   * Most marks kept (anchors and epochs together).
   * @default 100_000
   */
  maxEntries?: number
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number
}

// A record, so the compiler holds the list to the interface: a new option is a new key here.
const MEMORY_STORE_KEYS = Object.keys({ ttlMs: true, maxEntries: true, now: true } satisfies Record<
  keyof MemoryRevocationStoreOptions,
  true
>)

/**
 * A revocation store in this isolate's memory.
 *
 * @example
 * ```ts
 * const revocations = new MemoryRevocationStore()
 * revocations.markRevoked('sid-123')
 * export default { fetch: withCaracal(handler, { audience: 'resource://billing-api', revocations }) }
 * ```
 */
export class MemoryRevocationStore implements BatchRevocationStore {
  readonly #revoked = new Map<string, number>()
  readonly #epochs = new Map<string, { epoch: number; expiresAt: number }>()
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #now: () => number
  /** `isRevoked`, bound once: lookup passes it on with no closure per call. */
  readonly #isMarked = (anchor: string): boolean => this.isRevoked(anchor)

  constructor(options: MemoryRevocationStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('MemoryRevocationStore: options must be an object')
    }
    rejectUnknownKeys('MemoryRevocationStore', options, MEMORY_STORE_KEYS)
    validateTtl('MemoryRevocationStore', options.ttlMs)
    const max = options.maxEntries ?? 100_000
    if (!Number.isSafeInteger(max) || max < 1)
      throw new TypeError('MemoryRevocationStore: maxEntries must be an integer >= 1')
    this.#ttlMs = options.ttlMs ?? DEFAULT_REVOCATION_TTL_MS
    this.#maxEntries = max
    this.#now = options.now ?? Date.now
  }

  /** Marks an anchor (`sid`, `root_sid`, `agent_session_id` or `delegation_edge_id`) revoked. */
  markRevoked(anchor: string, ttlMs?: number): void {
    validateAnchor('MemoryRevocationStore.markRevoked', anchor)
    validateTtl('MemoryRevocationStore.markRevoked', ttlMs)
    // Renewing a mark takes no new room, so it must not evict another.
    if (!this.#revoked.delete(anchor)) this.#makeRoom()
    this.#revoked.set(anchor, this.#now() + (ttlMs ?? this.#ttlMs))
  }

  isRevoked(anchor: string): boolean {
    const expiresAt = this.#revoked.get(anchor)
    if (expiresAt === undefined) return false
    if (expiresAt <= this.#now()) {
      this.#revoked.delete(anchor)
      return false
    }
    return true
  }

  /** Raises a zone's delegation epoch; a lower or equal epoch is ignored (epochs only go up). */
  markDelegationEpoch(zoneId: string, epoch: number, ttlMs?: number): void {
    validateEpoch('MemoryRevocationStore.markDelegationEpoch', zoneId, epoch)
    validateTtl('MemoryRevocationStore.markDelegationEpoch', ttlMs)
    const current = this.currentDelegationEpoch(zoneId)
    if (current !== undefined && epoch <= current) return
    if (current === undefined) this.#makeRoom()
    this.#epochs.set(zoneId, { epoch, expiresAt: this.#now() + (ttlMs ?? this.#ttlMs) })
  }

  currentDelegationEpoch(zoneId: string): number | undefined {
    const entry = this.#epochs.get(zoneId)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.#now()) {
      this.#epochs.delete(zoneId)
      return undefined
    }
    return entry.epoch
  }

  lookup(anchors: readonly string[], zoneId: string | undefined): RevocationStatus {
    // Nothing marked at all (the usual state): nothing to look up, on the path every request takes.
    if (this.#revoked.size === 0 && this.#epochs.size === 0) return NOTHING_REVOKED
    const revoked = firstRevoked(anchors, anchors, this.#isMarked)
    const delegationEpoch = zoneId === undefined ? undefined : this.currentDelegationEpoch(zoneId)
    // The answer of nearly every request: one shared object instead of a new one each time.
    return revoked === undefined && delegationEpoch === undefined ? NOTHING_REVOKED : { revoked, delegationEpoch }
  }

  /** Number of marks held (expired ones included until swept). */
  get size(): number {
    return this.#revoked.size + this.#epochs.size
  }

  #makeRoom(): void {
    if (this.size < this.#maxEntries) return
    const now = this.#now()
    for (const [anchor, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(anchor)
    for (const [zone, entry] of this.#epochs) if (entry.expiresAt <= now) this.#epochs.delete(zone)
    // Still full: drop the oldest marks (a Map iterates in insertion order).
    for (const map of [this.#revoked, this.#epochs]) {
      for (const key of map.keys()) {
        if (this.size < this.#maxEntries) return
        map.delete(key)
      }
    }
  }
}
