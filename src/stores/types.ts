/** A value or a promise of it: Caracal's store methods may be sync or async. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Caracal's revocation store contract (caracal-mandates.md, section 5). A store written for
 * Caracal's SDKs plugs into `withCaracal` as it is.
 */
export interface RevocationStore {
  isRevoked(anchor: string): MaybePromise<boolean>
  markRevoked?(anchor: string, ttlMs?: number): MaybePromise<void>
  currentDelegationEpoch?(zoneId: string): MaybePromise<number | null | undefined>
  markDelegationEpoch?(zoneId: string, epoch: number, ttlMs?: number): MaybePromise<void>
}

/** What one lookup answers: the first revoked anchor, if any, and the zone's delegation epoch. */
export interface RevocationStatus {
  readonly revoked: string | undefined
  readonly delegationEpoch: number | undefined
}

/**
 * caracal-fetch's own stores also answer every anchor and the epoch in one call, which for a
 * remote store means one round trip. `withCaracal` uses it when present.
 */
export interface BatchRevocationStore extends RevocationStore {
  /** `zoneId` is undefined when the mandate has no `delegation_graph_epoch` (no epoch needed). */
  lookup(anchors: readonly string[], zoneId: string | undefined): MaybePromise<RevocationStatus>
}

/** Default lifetime of a revocation mark: 24 h, as in Caracal's Redis store. */
export const DEFAULT_REVOCATION_TTL_MS = 24 * 60 * 60 * 1000

/** Key prefix shared with Caracal's Redis store. */
export const DEFAULT_KEY_PREFIX = 'caracal:revoked:sessions:'

/** The key of a revoked anchor. */
export function revokedKey(prefix: string, anchor: string): string {
  return prefix + anchor
}

/** The key of a zone's delegation epoch. */
export function epochKey(prefix: string, zoneId: string): string {
  return `${prefix}delegation-epoch:${zoneId}`
}

/** Parses a stored epoch; anything that is not a decimal integer >= 0 is a store fault. */
export function parseEpoch(raw: unknown): number | undefined {
  if (raw === null || raw === undefined) return undefined
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`stored delegation epoch is not an integer: ${String(raw).slice(0, 40)}`)
  return n
}

export function validateTtl(where: string, ttlMs: number | undefined): void {
  if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0)) {
    throw new TypeError(`${where}: ttlMs must be a positive number of milliseconds`)
  }
}

export function validateAnchor(where: string, anchor: string): void {
  if (typeof anchor !== 'string' || anchor.length === 0)
    throw new TypeError(`${where}: anchor must be a non-empty string`)
}

export function validateZoneId(where: string, zoneId: string): void {
  if (typeof zoneId !== 'string' || zoneId.length === 0)
    throw new TypeError(`${where}: zoneId must be a non-empty string`)
}

export function validateEpoch(where: string, zoneId: string, epoch: number): void {
  validateZoneId(where, zoneId)
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new TypeError(`${where}: epoch must be an integer >= 0`)
  }
}
