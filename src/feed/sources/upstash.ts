/**
 * Stream source on an `@upstash/redis` client: Caracal's streams in an Upstash database, read over
 * REST, so it runs wherever fetch does (a Workers `scheduled()` handler included). Each command is
 * one HTTP request; there are no blocking reads (a REST request cannot wait for a stream), so a
 * feed on this source polls.
 *
 * The client must be created with `automaticDeserialization: false`: by default `@upstash/redis`
 * JSON-parses every string it returns (`"5"` becomes 5, `"[1]"` an array, `"\"x\""` the string
 * x), which changes the fields a signature covers, so every message would be refused.
 */
import { isBusyGroup, pendingCountOf, xreadgroupArgs, type StreamSource } from './types.js'

/** The part of an `@upstash/redis` `Redis` client the source uses: its generic `exec`. */
export interface UpstashExecClient {
  exec<T>(args: [command: string, ...args: (string | number | boolean)[]]): Promise<T>
}

/** Whether `value` looks like an `@upstash/redis` client. */
export function isUpstashClient(value: unknown): value is UpstashExecClient {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v['exec'] === 'function' && typeof v['pipeline'] === 'function'
}

/** A `StreamSource` over an `@upstash/redis` client created with `automaticDeserialization: false`. */
export class UpstashStreamSource implements StreamSource {
  readonly canBlock = false
  readonly #redis: UpstashExecClient

  constructor(redis: UpstashExecClient, where = 'RevocationFeed') {
    // `opts` is how @upstash/redis keeps its constructor options; a lookalike without it is trusted.
    const opts = (redis as { opts?: { automaticDeserialization?: unknown } }).opts
    if (opts !== undefined && opts.automaticDeserialization !== false) {
      throw new TypeError(
        `${where}: create the @upstash/redis source client with \`automaticDeserialization: false\` (it would otherwise JSON-parse stream values and every signature would fail)`,
      )
    }
    this.#redis = redis
  }

  async xgroupCreate(stream: string, group: string): Promise<void> {
    try {
      await this.#redis.exec(['XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM'])
    } catch (error) {
      if (!isBusyGroup(error)) throw error
    }
  }

  xreadgroup(group: string, consumer: string, streams: readonly string[], count: number): Promise<unknown> {
    // No BLOCK: over REST it would hold a request (and a Workers subrequest) open.
    return this.#redis.exec(['XREADGROUP', ...xreadgroupArgs(group, consumer, streams, count, undefined)])
  }

  xautoclaim(stream: string, group: string, consumer: string, minIdleMs: number, cursor: string, count: number) {
    return this.#redis.exec<unknown>([
      'XAUTOCLAIM',
      stream,
      group,
      consumer,
      String(minIdleMs),
      cursor,
      'COUNT',
      String(count),
    ])
  }

  async xack(stream: string, group: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#redis.exec(['XACK', stream, group, ...ids])
  }

  async xadd(stream: string, maxLen: number, fields: readonly string[]): Promise<void> {
    await this.#redis.exec(['XADD', stream, 'MAXLEN', '~', String(maxLen), '*', ...fields])
  }

  async xpendingCount(stream: string, group: string): Promise<number> {
    return pendingCountOf(await this.#redis.exec(['XPENDING', stream, group]))
  }

  async close(): Promise<void> {
    // The client was given to us; its owner closes it (and REST holds no connection anyway).
  }
}
