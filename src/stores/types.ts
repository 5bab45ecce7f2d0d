/**
 * The revocation store contract: Caracal's interface (caracal-mandates.md, section 5), which any
 * user store implements, and the one-round-trip batch lookup caracal-fetch's own stores add.
 * Types only; the key layout and the checks of stored values live beside it.
 */
import type { MaybePromise } from '../async.js'

export type { MaybePromise }

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
