/**
 * The body of a pushed revocation batch, `{ "writes": RevocationWrite[] }`, and the one set of rules
 * a write must meet: the sender checks them before it sends, the receiver before it writes anything.
 * A write the receiver's store could not hold (an empty anchor, an epoch that is not an integer)
 * must be refused with 400 up front, never discovered as a store failure answered 503 and retried.
 */
import type { RevocationWrite } from './sink.js'

/** Most writes in one pushed batch; a larger batch is sent in several requests. */
export const MAX_PUSH_WRITES = 250
/** Longest anchor or zone id accepted, in UTF-16 code units (KV keys stop at 512 bytes, with the prefix). */
export const MAX_ID_LENGTH = 256

const WRITE_KEYS: Readonly<Record<RevocationWrite['kind'], readonly string[]>> = {
  revoke: ['kind', 'anchor', 'ttlMs'],
  epoch: ['kind', 'zoneId', 'epoch', 'ttlMs'],
}

function idProblem(name: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `\`${name}\` must be a non-empty string`
  if (value.length > MAX_ID_LENGTH) return `\`${name}\` is longer than ${MAX_ID_LENGTH} characters`
  return undefined
}

/** What is wrong with one write, or undefined when it is a well-formed `RevocationWrite`. */
export function revocationWriteProblem(write: unknown): string | undefined {
  if (typeof write !== 'object' || write === null || Array.isArray(write)) return 'is not an object'
  const w = write as Record<string, unknown>
  const kind = w['kind']
  if (kind !== 'revoke' && kind !== 'epoch') return '`kind` must be "revoke" or "epoch"'
  const extra = Object.keys(w).find((key) => !WRITE_KEYS[kind].includes(key))
  if (extra !== undefined) return `has an unknown field \`${extra.slice(0, 40)}\``
  if (!(Number.isSafeInteger(w['ttlMs']) && (w['ttlMs'] as number) > 0)) {
    return '`ttlMs` must be a positive integer of milliseconds'
  }
  if (kind === 'revoke') {
    const problem = idProblem('anchor', w['anchor'])
    if (problem !== undefined) return problem
    // Stores refuse it: that key holds a zone's epoch, which a revocation mark would overwrite.
    if ((w['anchor'] as string).startsWith('delegation-epoch:'))
      return '`anchor` must not start with "delegation-epoch:"'
    return undefined
  }
  const problem = idProblem('zoneId', w['zoneId'])
  if (problem !== undefined) return problem
  if (!(Number.isSafeInteger(w['epoch']) && (w['epoch'] as number) >= 0)) return '`epoch` must be an integer >= 0'
  return undefined
}

/** Throws a `TypeError` naming the first malformed write of `writes`. */
export function checkWrites(where: string, writes: readonly RevocationWrite[]): void {
  if (!Array.isArray(writes)) throw new TypeError(`${where}: write() takes an array of writes`)
  writes.forEach((write, i) => {
    const problem = revocationWriteProblem(write)
    if (problem !== undefined) throw new TypeError(`${where}: writes[${i}] ${problem}`)
  })
}

/** The wire body of writes already checked with {@link checkWrites}. */
export function encodePushBatch(writes: readonly RevocationWrite[]): string {
  return JSON.stringify({ writes })
}

/** A decoded batch, or the reason it was refused. */
export type DecodedBatch =
  | { readonly ok: true; readonly writes: readonly RevocationWrite[] }
  | { readonly ok: false; readonly problem: string; readonly tooLarge: boolean }

function refused(problem: string, tooLarge = false): DecodedBatch {
  return { ok: false, problem, tooLarge }
}

/** Parses and strictly validates a batch body (already UTF-8 decoded); never throws. */
export function decodePushBatch(text: string, maxWrites: number): DecodedBatch {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return refused('the body is not JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refused('the body must be an object { "writes": [...] }')
  }
  const extra = Object.keys(body).find((key) => key !== 'writes')
  if (extra !== undefined) return refused(`the body has an unknown field \`${extra.slice(0, 40)}\``)
  const writes = (body as { writes?: unknown }).writes
  if (!Array.isArray(writes)) return refused('`writes` must be an array')
  if (writes.length > maxWrites) {
    return refused(`the batch has ${writes.length} writes; at most ${maxWrites} are accepted`, true)
  }
  for (let i = 0; i < writes.length; i++) {
    const problem = revocationWriteProblem(writes[i])
    if (problem !== undefined) return refused(`writes[${i}] ${problem}`)
  }
  return { ok: true, writes: writes as RevocationWrite[] }
}

/**
 * One write per anchor (the longest TTL) and one per zone (the highest epoch, the longest TTL).
 * Fewer store calls, and no two epoch raises of one zone racing each other: a store without an
 * atomic raise (KV reads, then writes) could otherwise let the lower one land last.
 */
export function coalesceWrites(writes: readonly RevocationWrite[]): RevocationWrite[] {
  const revokes = new Map<string, Extract<RevocationWrite, { kind: 'revoke' }>>()
  const epochs = new Map<string, Extract<RevocationWrite, { kind: 'epoch' }>>()
  for (const write of writes) {
    if (write.kind === 'revoke') {
      const seen = revokes.get(write.anchor)
      revokes.set(write.anchor, seen === undefined || write.ttlMs > seen.ttlMs ? write : seen)
    } else {
      const seen = epochs.get(write.zoneId)
      if (seen === undefined) epochs.set(write.zoneId, write)
      else {
        epochs.set(write.zoneId, {
          kind: 'epoch',
          zoneId: write.zoneId,
          epoch: Math.max(seen.epoch, write.epoch),
          ttlMs: Math.max(seen.ttlMs, write.ttlMs),
        })
      }
    }
  }
  return [...revokes.values(), ...epochs.values()]
}
