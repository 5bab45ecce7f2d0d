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

/** One mark of a batch write (`markMany`): an anchor revoked, or a zone's epoch raised. */
export type RevocationMark =
  | { readonly kind: 'revoke'; readonly anchor: string; readonly ttlMs?: number }
  | { readonly kind: 'epoch'; readonly zoneId: string; readonly epoch: number; readonly ttlMs?: number }

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

/** The longest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647

/** A duration option, when given: a positive, finite number of milliseconds, at most `max`. */
export function validateMilliseconds(
  where: string,
  name: string,
  value: number | undefined,
  max = Number.POSITIVE_INFINITY,
): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    const bound = max === Number.POSITIVE_INFINITY ? '' : `, at most ${max}`
    throw new TypeError(`${where}: \`${name}\` must be a positive number of milliseconds${bound}`)
  }
}

/** A deadline option: a positive number of milliseconds that a timer can actually wait. */
export function validateTimeout(where: string, name: string, value: number | undefined): void {
  validateMilliseconds(where, name, value, MAX_TIMEOUT_MS)
}

export function validateAnchor(where: string, anchor: string): void {
  if (typeof anchor !== 'string' || anchor.length === 0)
    throw new TypeError(`${where}: anchor must be a non-empty string`)
  // revokedKey(prefix, 'delegation-epoch:z') is epochKey(prefix, 'z'): such a mark would overwrite,
  // and so lower, the zone's epoch, which only ever goes up.
  if (anchor.startsWith('delegation-epoch:'))
    throw new TypeError(`${where}: anchor must not start with "delegation-epoch:" (that key holds a zone's epoch)`)
}

/** The answer of nearly every lookup; a store may return this one shared object instead of a new one. */
export const NOTHING_REVOKED: RevocationStatus = Object.freeze({ revoked: undefined, delegationEpoch: undefined })

/**
 * Checks what a store's `lookup` answered before it is trusted: `revoked` a non-empty string or
 * absent, `delegationEpoch` an integer >= 0 or absent. Anything else (no object, `revoked: null`,
 * an epoch of 'abc') is a store fault, which the caller answers with 503, never with a pass.
 */
export function checkedStatus(status: unknown): RevocationStatus {
  if (status === NOTHING_REVOKED) return NOTHING_REVOKED
  if (typeof status !== 'object' || status === null) {
    throw new Error(`lookup answered ${status === null ? 'null' : typeof status}, not { revoked, delegationEpoch }`)
  }
  const { revoked, delegationEpoch } = status as { revoked?: unknown; delegationEpoch?: unknown }
  if (revoked !== undefined && (typeof revoked !== 'string' || revoked.length === 0)) {
    throw new Error('lookup answered a `revoked` that is neither undefined nor an anchor')
  }
  if (delegationEpoch !== undefined && !(Number.isSafeInteger(delegationEpoch) && (delegationEpoch as number) >= 0)) {
    throw new Error('lookup answered a `delegationEpoch` that is neither undefined nor an integer >= 0')
  }
  return status as RevocationStatus
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
