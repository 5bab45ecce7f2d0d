/**
 * Building and checking a lookup's answer: the first revoked anchor, the stored epoch, and the
 * check every answer passes before it is trusted (a malformed one is a store fault, never a pass).
 */
import type { RevocationStatus } from './types.js'

/** The answer of nearly every lookup; a store may return this one shared object instead of a new one. */
export const NOTHING_REVOKED: RevocationStatus = Object.freeze({ revoked: undefined, delegationEpoch: undefined })

/**
 * The first of `anchors` whose answer in `values` (same order) `isMarked` says is a revocation.
 * Caracal's order decides which anchor a refusal names.
 */
export function firstRevoked<V>(
  anchors: readonly string[],
  values: readonly V[],
  isMarked: (value: V) => unknown,
): string | undefined {
  for (let i = 0; i < anchors.length; i++) if (isMarked(values[i]!)) return anchors[i]
  return undefined
}

/** Whether a key-value store holds a value: Redis and KV answer null (or nothing) for a missing key. */
export function isStored(value: unknown): boolean {
  return value !== null && value !== undefined
}

/** Parses a stored epoch; anything that is not a decimal integer >= 0 is a store fault. */
export function parseEpoch(raw: unknown): number | undefined {
  if (raw === null || raw === undefined) return undefined
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`stored delegation epoch is not an integer: ${String(raw).slice(0, 40)}`)
  return n
}

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
