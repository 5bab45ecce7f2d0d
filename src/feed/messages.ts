/**
 * What one stream message asks for (caracal-mandates.md section 6), decided without I/O: the store
 * writes of a revocation or a delegation-epoch message, or the reason it is dead-lettered.
 */
import type { RevocationWrite } from './sink.js'

/** Caracal's stream of session revocations. */
export const SESSIONS_STREAM = 'caracal.sessions.revoke'
/** Caracal's stream of delegation-graph changes (zone epochs). */
export const DELEGATIONS_STREAM = 'caracal.delegations.invalidate'

/** Why a message is dead-lettered (the `reason` field of `<stream>.dead`). */
export type DeadLetterReason = 'invalid_signature' | 'missing_revocation_anchor' | 'invalid_delegation_epoch'

/** The fields of a revocation message that name something to revoke, in the order they are written. */
export const ANCHOR_FIELDS = ['session_id', 'sid', 'root_sid', 'agent_session_id', 'delegation_edge_id'] as const

// Workers KV keys are at most 512 bytes, prefix included; an anchor no store can hold would block
// its message forever, so it does not count as an anchor.
const MAX_ANCHOR_LENGTH = 400
const DECIMAL = /^[0-9]+$/

/** The outcome for one message: its writes, or why it is refused. */
export type MessageOutcome =
  | { readonly writes: readonly RevocationWrite[]; readonly reason?: undefined }
  | { readonly reason: DeadLetterReason; readonly writes?: undefined }

function usableAnchor(value: string | undefined): value is string {
  return (
    value !== undefined &&
    value.length > 0 &&
    value.length <= MAX_ANCHOR_LENGTH &&
    // That key holds a zone's epoch in Caracal's layout (see stores/types.ts validateAnchor).
    !value.startsWith('delegation-epoch:')
  )
}

/** The writes of a `caracal.sessions.revoke` message: each distinct anchor, marked revoked. */
export function revocationWrites(fields: Readonly<Record<string, string>>, ttlMs: number): MessageOutcome {
  const anchors = new Set<string>()
  for (const name of ANCHOR_FIELDS) {
    const value = fields[name]
    if (usableAnchor(value)) anchors.add(value)
  }
  if (anchors.size === 0) return { reason: 'missing_revocation_anchor' }
  return { writes: [...anchors].map((anchor) => ({ kind: 'revoke', anchor, ttlMs })) }
}

/** The write of a `caracal.delegations.invalidate` message: raise the zone's epoch. */
export function epochWrites(fields: Readonly<Record<string, string>>, ttlMs: number): MessageOutcome {
  const zoneId = fields['zone_id']
  const raw = fields['epoch']
  if (zoneId === undefined || zoneId.length === 0 || raw === undefined || !DECIMAL.test(raw)) {
    return { reason: 'invalid_delegation_epoch' }
  }
  const epoch = Number(raw)
  if (!Number.isSafeInteger(epoch)) return { reason: 'invalid_delegation_epoch' }
  return { writes: [{ kind: 'epoch', zoneId, epoch, ttlMs }] }
}

/** The writes a verified message asks for on `stream`. */
export function writesFor(stream: string, fields: Readonly<Record<string, string>>, ttlMs: number): MessageOutcome {
  return stream === DELEGATIONS_STREAM ? epochWrites(fields, ttlMs) : revocationWrites(fields, ttlMs)
}
