import { CaracalError } from '../errors.js'
import {
  checkedStatus,
  parseEpoch,
  type BatchRevocationStore,
  type MaybePromise,
  type RevocationStatus,
  type RevocationStore,
} from '../stores/types.js'
import type { Mandate } from './mandate.js'

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

function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * One lookup for all anchors and the epoch. Uses the store's batch `lookup` when it has one (one
 * round trip); otherwise calls Caracal's per-anchor methods, in parallel, and stays synchronous
 * when the store answers synchronously.
 */
export function lookupRevocation(
  store: RevocationStore,
  anchors: readonly string[],
  zoneId: string | undefined,
): MaybePromise<RevocationStatus> {
  if (typeof (store as BatchRevocationStore).lookup === 'function') {
    const status: MaybePromise<unknown> = (store as BatchRevocationStore).lookup(anchors, zoneId)
    return isPromise(status) ? status.then(checkedStatus) : checkedStatus(status)
  }
  return lookupEach(store, anchors, zoneId)
}

/** lookupRevocation for a store with Caracal's per-anchor methods only. */
function lookupEach(
  store: RevocationStore,
  anchors: readonly string[],
  zoneId: string | undefined,
): MaybePromise<RevocationStatus> {
  const wantEpoch = zoneId !== undefined && typeof store.currentDelegationEpoch === 'function'
  const answers: MaybePromise<unknown>[] = []
  try {
    for (const anchor of anchors) answers.push(store.isRevoked(anchor))
    if (wantEpoch) answers.push(store.currentDelegationEpoch!(zoneId))
  } catch (error) {
    // The answers already under way are dropped with this throw; their rejections must not
    // become unhandled ones, which end a Node process.
    for (const answer of answers) if (isPromise(answer)) answer.then(undefined, () => {})
    throw error
  }
  const finish = (values: readonly unknown[]): RevocationStatus => {
    let revoked: string | undefined
    for (let i = 0; i < anchors.length; i++) {
      if (values[i]) {
        revoked = anchors[i]
        break
      }
    }
    return { revoked, delegationEpoch: wantEpoch ? parseEpoch(values[anchors.length]) : undefined }
  }
  return answers.some(isPromise) ? Promise.all(answers).then(finish) : finish(answers)
}

/** Turns a lookup answer into `session_revoked` / `delegation_stale`, or nothing. */
export function checkRevocationStatus(mandate: Mandate, status: RevocationStatus): void {
  if (status.revoked !== undefined) {
    throw new CaracalError('session_revoked', `anchor ${JSON.stringify(status.revoked)} is revoked`)
  }
  const claimed = mandate.delegationGraphEpoch
  const current = status.delegationEpoch
  if (claimed !== undefined && current !== undefined && current > claimed) {
    throw new CaracalError(
      'delegation_stale',
      `zone delegation epoch is ${current}, the mandate was issued at ${claimed}`,
    )
  }
}

export { isPromise }
