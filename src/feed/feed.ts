/**
 * `RevocationFeed`: Caracal's revocation streams -> a revocation store. Reads both streams through a
 * consumer group, replays what was left pending, and acknowledges an entry only after its writes
 * are stored, so a crash or a failed write loses nothing (every write is idempotent). `pollOnce`
 * suits a cron tick (bounded, never blocks); `run` a long-running process (blocking reads).
 */
import { claimReply, readReply, type StreamEntry } from './entries.js'
import { addCounts, handleEntries, noCounts, type BatchCounts, type HandlingContext } from './handle-entries.js'
import { DELEGATIONS_STREAM, SESSIONS_STREAM } from './messages.js'
import { normalizeFeedOptions, type NormalizedFeedOptions, type RevocationFeedOptions } from './options.js'
import { StreamSignature } from './signature.js'
import { openSource } from './sources/resolve.js'
import type { StreamSource } from './sources/types.js'

/** The two streams the feed reads, in the order it reads them. */
export const FEED_STREAMS = [SESSIONS_STREAM, DELEGATIONS_STREAM] as const

/** What one `pollOnce` did. */
export interface PollResult {
  /** Messages processed and acknowledged, dead-lettered ones included. */
  readonly handled: number
  /** Anchors written as revoked. */
  readonly revoked: number
  /** Epoch messages applied. */
  readonly epochs: number
  /** Messages moved to `<stream>.dead`. */
  readonly deadLettered: number
  /**
   * Entries delivered to the group and not acknowledged after this poll (failed writes, or claimed by
   * a consumer that died), summed over both streams. Entries never delivered are not counted: when
   * `handled` reached `maxMessages`, more may be waiting.
   */
  readonly pendingLeft: number
  /** Age of the oldest message handled, in ms from its stream id; 0 when none. */
  readonly lagMs: number
}

/** Options of one `pollOnce`. */
export interface PollOptions {
  /**
   * Time the poll may take, in ms: no new command starts after it (one in flight finishes).
   * @default 5000
   */
  budgetMs?: number
  /**
   * Most messages processed in this poll, so a backlog spreads over several cron ticks (and stays
   * within Workers' subrequest limits).
   * @default 1000
   */
  maxMessages?: number
}

/** A batch `run` handled (counts of one read, with what was replayed before it). */
export type FeedBatch = Readonly<BatchCounts>

/** Options of `run`. */
export interface RunOptions {
  /** Stops the feed: the batch in hand is finished and acknowledged, then `run` resolves. */
  signal?: AbortSignal
  /** Called after each batch that handled at least one message (or left one pending). */
  onBatch?: (batch: FeedBatch) => void
}

const isNoGroup = (error: unknown): boolean => /\bNOGROUP\b/.test(String((error as Error)?.message ?? error))
const BACKOFF_START_MS = 100
const BACKOFF_CAP_MS = 10_000

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

function checkPoll(options: PollOptions): { budgetMs: number; maxMessages: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError('pollOnce: options must be an object')
  const { budgetMs = 5000, maxMessages = 1000 } = options
  if (typeof budgetMs !== 'number' || !Number.isFinite(budgetMs) || budgetMs <= 0) {
    throw new TypeError('pollOnce: `budgetMs` must be a positive number of milliseconds')
  }
  if (!Number.isSafeInteger(maxMessages) || maxMessages < 1) {
    throw new TypeError('pollOnce: `maxMessages` must be an integer >= 1')
  }
  return { budgetMs, maxMessages }
}

/**
 * Consumes Caracal's `caracal.sessions.revoke` and `caracal.delegations.invalidate` streams into a
 * revocation store, so `withCaracal` refuses revoked sessions and stale delegations.
 *
 * @example
 * ```ts
 * import { RevocationFeed } from 'caracal-fetch/feed'
 * const feed = new RevocationFeed({
 *   source: 'redis://caracal-redis:6379',
 *   store: UpstashRevocationStore.fromEnv(),
 *   hmacKey: process.env.STREAMS_HMAC_KEY,
 *   consumer: 'edge-feed-1',
 * })
 * await feed.ensureGroups()
 * await feed.run({ signal })
 * ```
 */
export class RevocationFeed {
  readonly #options: NormalizedFeedOptions
  readonly #signature: StreamSignature | undefined
  #source: Promise<StreamSource> | undefined

  /** @throws TypeError for any misconfiguration (unknown keys included). */
  constructor(options: RevocationFeedOptions) {
    this.#options = normalizeFeedOptions(options)
    this.#signature = this.#options.hmacKey === undefined ? undefined : new StreamSignature(this.#options.hmacKey)
  }

  /** Creates the consumer group on both streams (`XGROUP CREATE ... 0 MKSTREAM`); an existing group is fine. */
  async ensureGroups(): Promise<void> {
    const source = await this.#open()
    for (const stream of FEED_STREAMS) await source.xgroupCreate(stream, this.#options.group)
  }

  /**
   * One bounded pass that never blocks: replays pending entries idle for `pendingIdleMs` (paging
   * until done), then reads new ones, stream by stream, until both are empty, `maxMessages` were
   * processed or `budgetMs` ran out. Rejects on a Redis error; what was acknowledged stays so.
   */
  async pollOnce(options: PollOptions = {}): Promise<PollResult> {
    const { budgetMs, maxMessages } = checkPoll(options)
    const source = await this.#open()
    const { group, consumer, pendingIdleMs, batchSize } = this.#options
    const deadline = Date.now() + budgetMs
    const totals = noCounts()
    const room = (): number => maxMessages - totals.handled - totals.failed
    const more = (): boolean => room() > 0 && Date.now() < deadline
    const ctx = this.#context(source)

    for (const stream of FEED_STREAMS) {
      let cursor = '0-0'
      while (more()) {
        const count = Math.min(batchSize, room())
        const claimed = claimReply(
          await this.#withGroups(() => source.xautoclaim(stream, group, consumer, pendingIdleMs, cursor, count)),
        )
        addCounts(totals, await handleEntries(ctx, stream, claimed.entries, Date.now()))
        cursor = claimed.cursor
        if (cursor === '0-0') break
      }
    }
    for (const stream of FEED_STREAMS) {
      while (more()) {
        const count = Math.min(batchSize, room())
        const reply = await this.#withGroups(() => source.xreadgroup(group, consumer, [stream], count))
        const entries = readReply(reply).get(stream) ?? []
        if (entries.length === 0) break
        addCounts(totals, await handleEntries(ctx, stream, entries, Date.now()))
      }
    }
    let pendingLeft = 0
    for (const stream of FEED_STREAMS) pendingLeft += await this.#withGroups(() => source.xpendingCount(stream, group))
    const { handled, revoked, epochs, deadLettered, lagMs } = totals
    return { handled, revoked, epochs, deadLettered, pendingLeft, lagMs }
  }

  /**
   * Runs until `signal` aborts: creates the groups, replays pending entries every half
   * `pendingIdleMs` (at most every 10 s), and otherwise waits on a blocking read of both streams
   * (`blockMs`; a REST source polls every `blockMs` instead). A Redis or store failure is reported
   * to `onError` and retried with capped exponential backoff; nothing is acknowledged that was not
   * stored. Resolves after the batch in hand once `signal` aborts; rejects only for a
   * misconfiguration found when connecting (a TypeError, e.g. the `redis` package is missing).
   */
  async run(options: RunOptions = {}): Promise<void> {
    const { signal, onBatch } = options
    const { group, consumer, batchSize, blockMs, pendingIdleMs, onError } = this.#options
    const replayEveryMs = Math.max(100, Math.min(pendingIdleMs / 2, 10_000))
    let groupsReady = false
    let nextReplay = 0
    let failures = 0
    while (signal?.aborted !== true) {
      let opening = true
      try {
        const source = await this.#open()
        opening = false
        if (!groupsReady) {
          await this.ensureGroups()
          groupsReady = true
        }
        const ctx = this.#context(source)
        const batch = noCounts()
        if (Date.now() >= nextReplay) {
          addCounts(batch, await this.#replayAll(source, ctx))
          nextReplay = Date.now() + replayEveryMs
        }
        const reply = await source.xreadgroup(
          group,
          consumer,
          FEED_STREAMS,
          batchSize,
          source.canBlock ? blockMs : undefined,
        )
        const read = readReply(reply)
        for (const stream of FEED_STREAMS) {
          const entries: readonly StreamEntry[] = read.get(stream) ?? []
          addCounts(batch, await handleEntries(ctx, stream, entries, Date.now()))
        }
        failures = 0
        if (batch.handled + batch.failed > 0) onBatch?.(batch)
        else if (!source.canBlock) await pause(blockMs, signal)
      } catch (error) {
        // Misconfiguration (the `redis` package missing) does not heal by waiting. Only when opening:
        // a network failure elsewhere may be a TypeError too (fetch's "fetch failed").
        if (opening && error instanceof TypeError) throw error
        if (isNoGroup(error)) groupsReady = false
        failures++
        const waitMs = Math.min(BACKOFF_START_MS * 2 ** Math.min(failures - 1, 16), BACKOFF_CAP_MS)
        onError(error, `reading the streams failed (attempt ${failures}); retrying in ${waitMs} ms`)
        await pause(waitMs, signal)
      }
    }
  }

  /** Closes the connection the feed opened for a `redis://` source (a client you passed stays open). */
  async close(): Promise<void> {
    const source = this.#source
    this.#source = undefined
    if (source !== undefined) await (await source.catch(() => undefined))?.close()
  }

  async #replayAll(source: StreamSource, ctx: HandlingContext): Promise<BatchCounts> {
    const { group, consumer, pendingIdleMs, batchSize } = this.#options
    const totals = noCounts()
    for (const stream of FEED_STREAMS) {
      let cursor = '0-0'
      do {
        const claimed = claimReply(await source.xautoclaim(stream, group, consumer, pendingIdleMs, cursor, batchSize))
        addCounts(totals, await handleEntries(ctx, stream, claimed.entries, Date.now()))
        cursor = claimed.cursor
      } while (cursor !== '0-0')
    }
    return totals
  }

  /** Runs `command`; when the group is missing (the stream was deleted), creates it and tries once more. */
  async #withGroups<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch (error) {
      if (!isNoGroup(error)) throw error
      await this.ensureGroups()
      return command()
    }
  }

  #context(source: StreamSource): HandlingContext {
    const { sink, group, ttlMs, onError } = this.#options
    return { source, sink, signature: this.#signature, group, ttlMs, report: onError }
  }

  #open(): Promise<StreamSource> {
    if (this.#source === undefined) {
      const opening = openSource(this.#options.source, (error) =>
        this.#options.onError(error, 'connection to the Caracal Redis'),
      )
      // A failed open is retried on the next call rather than remembered.
      opening.catch(() => {
        if (this.#source === opening) this.#source = undefined
      })
      this.#source = opening
    }
    return this.#source
  }
}
