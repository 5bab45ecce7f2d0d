/**
 * The revocation check of a verified mandate: one lookup of all its anchors and its zone's
 * delegation epoch, within a deadline, turned into `session_revoked` / `delegation_stale`, or a
 * 503 when the store fails. Runs on every request, cached mandate or not.
 */
import { isPromise, withDeadline, type MaybePromise } from '../async.js'
import { CaracalError, messageOf } from '../errors.js'
import { checkedStatus, firstRevoked, parseEpoch } from '../stores/status.js'
import type { BatchRevocationStore, RevocationStatus, RevocationStore } from '../stores/types.js'
import type { Mandate } from '../verify/mandate.js'
import type { VerifiedMandate } from '../verify/verified.js'

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
  const finish = (values: readonly unknown[]): RevocationStatus => ({
    revoked: firstRevoked(anchors, values, Boolean),
    delegationEpoch: wantEpoch ? parseEpoch(values[anchors.length]) : undefined,
  })
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

function storeFailure(error: unknown): CaracalError {
  return new CaracalError('temporarily_unavailable', `revocation store failed: ${messageOf(error)}`, {
    cause: error,
    retryAfter: 1,
  })
}

/**
 * Checks a verified mandate against the store: undefined when it passed synchronously (the memory
 * store), a promise when the store answers later, a throw when it is revoked or the store failed.
 */
export function checkRevocation(
  store: RevocationStore,
  verified: VerifiedMandate,
  timeoutMs: number,
): Promise<void> | undefined {
  const mandate = verified.mandate
  const zone = mandate.delegationGraphEpoch === undefined ? undefined : mandate.zoneId
  let status
  try {
    status = lookupRevocation(store, verified.anchors, zone)
  } catch (error) {
    throw storeFailure(error)
  }
  if (!isPromise(status)) {
    checkRevocationStatus(mandate, status)
    return undefined
  }
  return checkWhenAnswered(status, mandate, timeoutMs)
}

// A function of its own, so the synchronous path above creates no closure.
function checkWhenAnswered(status: Promise<RevocationStatus>, mandate: Mandate, timeoutMs: number): Promise<void> {
  return withDeadline(status, timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`)).then(
    (answer) => checkRevocationStatus(mandate, answer),
    (error: unknown) => {
      throw storeFailure(error)
    },
  )
}
