/**
 * The record of a verified mandate: what the verifier produces, the mandate cache keeps, and every
 * request presenting the same token shares.
 */
import type { Mandate } from './mandate.js'

/**
 * A verified mandate with what each of its requests needs, built once per token and cached with
 * it. It doubles as the `verified` outcome of authentication, so a request that presents a cached
 * token allocates no outcome and no anchor list of its own.
 */
export interface VerifiedMandate {
  readonly kind: 'verified'
  readonly mandate: Mandate
  /** The revocation anchors, de-duplicated, in Caracal's order (frozen). */
  readonly anchors: readonly string[]
}

/** The revocation anchors of a mandate, de-duplicated, in Caracal's order. */
export function anchorsOf(mandate: Mandate): string[] {
  const anchors = [mandate.authorityRecordId]
  const add = (a: string | undefined): void => {
    if (a !== undefined && a.length > 0 && !anchors.includes(a)) anchors.push(a)
  }
  add(mandate.rootAuthorityRecordId)
  add(mandate.agentSessionId)
  add(mandate.delegationEdgeId)
  return anchors
}

export function verifiedMandate(mandate: Mandate): VerifiedMandate {
  return Object.freeze({ kind: 'verified', mandate, anchors: Object.freeze(anchorsOf(mandate)) })
}
