/**
 * What the feed does with the entries of one read: verify each, dead-letter the refused ones, write
 * the rest to the sink, and acknowledge an entry only once everything it asked for is stored. A
 * failed write leaves its entries pending, to be claimed again after `pendingIdleMs`.
 */
import type { StreamEntry } from './entries.js'
import { entryAgeMs } from './entries.js'
import { writesFor, type DeadLetterReason } from './messages.js'
import type { StreamSignature } from './signature.js'
import type { RevocationSink, RevocationWrite } from './sink.js'
import type { StreamSource } from './sources/types.js'

/** Counts of one batch (or the sum of several). */
export interface BatchCounts {
  /** Entries acknowledged: applied or dead-lettered. */
  handled: number
  /** Anchors marked revoked. */
  revoked: number
  /** Epoch messages applied. */
  epochs: number
  /** Entries moved to `<stream>.dead`. */
  deadLettered: number
  /** Entries left pending because a write failed; they are replayed after `pendingIdleMs`. */
  failed: number
  /** Age of the oldest entry handled, in milliseconds (from its id); 0 when none. */
  lagMs: number
}

/** An empty count. */
export function noCounts(): BatchCounts {
  return { handled: 0, revoked: 0, epochs: 0, deadLettered: 0, failed: 0, lagMs: 0 }
}

/** Adds `more` into `into`. */
export function addCounts(into: BatchCounts, more: BatchCounts): void {
  into.handled += more.handled
  into.revoked += more.revoked
  into.epochs += more.epochs
  into.deadLettered += more.deadLettered
  into.failed += more.failed
  into.lagMs = Math.max(into.lagMs, more.lagMs)
}

/** What handling needs from the feed. */
export interface HandlingContext {
  readonly source: StreamSource
  readonly sink: RevocationSink
  /** Undefined only when the feed was told to accept unsigned messages. */
  readonly signature: StreamSignature | undefined
  readonly group: string
  readonly ttlMs: number
  readonly report: (error: unknown, what: string) => void
}

/** Length a dead letter's `payload` is cut to: Upstash and Redis both take it, and it stays readable. */
const MAX_PAYLOAD_LENGTH = 64 * 1024
const DEAD_LETTER_MAXLEN = 10_000

interface Accepted {
  readonly entry: StreamEntry
  readonly writes: readonly RevocationWrite[]
}

function payloadOf(entry: StreamEntry): string {
  const json = JSON.stringify(entry.fields ?? entry.raw.map((v) => (typeof v === 'string' ? v : String(v))))
  if (json.length <= MAX_PAYLOAD_LENGTH) return json
  return JSON.stringify({ truncated: true, length: json.length, head: json.slice(0, 1024) })
}

async function decide(
  ctx: HandlingContext,
  stream: string,
  entry: StreamEntry,
): Promise<{ reason: DeadLetterReason } | { writes: readonly RevocationWrite[] }> {
  if (entry.fields === undefined) return { reason: 'invalid_signature' }
  if (ctx.signature !== undefined && !(await ctx.signature.verify(stream, entry.fields))) {
    return { reason: 'invalid_signature' }
  }
  const outcome = writesFor(stream, entry.fields, ctx.ttlMs)
  return outcome.reason !== undefined ? { reason: outcome.reason } : { writes: outcome.writes }
}

async function deadLetter(ctx: HandlingContext, stream: string, entry: StreamEntry, reason: DeadLetterReason) {
  await ctx.source.xadd(`${stream}.dead`, DEAD_LETTER_MAXLEN, [
    'source_id',
    entry.id,
    'reason',
    reason,
    'payload',
    payloadOf(entry),
  ])
}

/** After this many single writes fail in a row the sink is taken to be down, and the rest wait for replay. */
const CONSECUTIVE_FAILURES_LIMIT = 3

/**
 * Writes the accepted entries: the whole batch at once, then, when that fails, one by one, so one
 * entry the sink refuses (a corrupt stored epoch) does not hold back the others. A sink that is
 * down fails the first few single writes too; the rest are not tried, and wait for replay.
 */
async function writeAccepted(ctx: HandlingContext, accepted: readonly Accepted[]): Promise<Accepted[]> {
  if (accepted.length === 0) return []
  try {
    await ctx.sink.write(accepted.flatMap((a) => a.writes))
    return [...accepted]
  } catch (error) {
    ctx.report(error, `writing a batch of ${accepted.length} messages failed; retrying them one by one`)
  }
  const stored: Accepted[] = []
  let failuresInARow = 0
  let tried = 0
  for (const a of accepted) {
    if (failuresInARow >= CONSECUTIVE_FAILURES_LIMIT) break
    tried++
    try {
      await ctx.sink.write(a.writes)
      stored.push(a)
      failuresInARow = 0
    } catch (error) {
      failuresInARow++
      ctx.report(error, `writing message ${a.entry.id} failed; it stays pending and is replayed`)
    }
  }
  const untried = accepted.length - tried
  if (untried > 0) {
    ctx.report(new Error('the store keeps failing'), `${untried} more messages stay pending and are replayed`)
  }
  return stored
}

/** Handles the entries of one read from `stream`; rejects only when acknowledging fails. */
export async function handleEntries(
  ctx: HandlingContext,
  stream: string,
  entries: readonly StreamEntry[],
  now: number,
): Promise<BatchCounts> {
  const counts = noCounts()
  if (entries.length === 0) return counts
  const ackIds: string[] = []
  const accepted: Accepted[] = []
  // Signature checks are independent: run them together rather than one await per entry.
  const decisions = await Promise.all(entries.map((entry) => decide(ctx, stream, entry)))
  for (const [i, entry] of entries.entries()) {
    counts.lagMs = Math.max(counts.lagMs, entryAgeMs(entry.id, now))
    const decision = decisions[i]!
    if ('writes' in decision) {
      accepted.push({ entry, writes: decision.writes })
      continue
    }
    try {
      await deadLetter(ctx, stream, entry, decision.reason)
      ackIds.push(entry.id)
      counts.deadLettered++
    } catch (error) {
      counts.failed++
      ctx.report(error, `dead-lettering message ${entry.id} (${decision.reason}) failed; it stays pending`)
    }
  }
  const stored = await writeAccepted(ctx, accepted)
  counts.failed += accepted.length - stored.length
  for (const a of stored) {
    ackIds.push(a.entry.id)
    if (a.writes[0]?.kind === 'epoch') counts.epochs++
    else counts.revoked += a.writes.length
  }
  await ctx.source.xack(stream, ctx.group, ackIds)
  counts.handled = ackIds.length
  return counts
}
