/**
 * The few stream commands the feed sends, over whatever client reaches the Caracal Redis. A source
 * returns replies as they came; `entries.ts` reads them. Every command is the plain Redis command,
 * so one implementation per client is a thin translation.
 */

/** Raw command access to the Redis holding Caracal's streams. */
export interface StreamSource {
  /** `XGROUP CREATE <stream> <group> 0 MKSTREAM`; resolves when created or already there (BUSYGROUP). */
  xgroupCreate(stream: string, group: string): Promise<void>
  /**
   * `XREADGROUP GROUP <group> <consumer> COUNT <count> [BLOCK <blockMs>] STREAMS <streams...> > ...`.
   * Resolves the raw reply (null when nothing arrived).
   */
  xreadgroup(
    group: string,
    consumer: string,
    streams: readonly string[],
    count: number,
    blockMs?: number,
  ): Promise<unknown>
  /** `XAUTOCLAIM <stream> <group> <consumer> <minIdleMs> <cursor> COUNT <count>`: the raw reply. */
  xautoclaim(
    stream: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    cursor: string,
    count: number,
  ): Promise<unknown>
  /** `XACK <stream> <group> <ids...>`. */
  xack(stream: string, group: string, ids: readonly string[]): Promise<void>
  /** `XADD <stream> MAXLEN ~ <maxLen> * <field> <value> ...`. */
  xadd(stream: string, maxLen: number, fields: readonly string[]): Promise<void>
  /** `XPENDING <stream> <group>`: how many entries are delivered but not acknowledged. */
  xpendingCount(stream: string, group: string): Promise<number>
  /** Whether blocking reads are worth it (a TCP connection), or each call costs a request (REST). */
  readonly canBlock: boolean
  /** Releases what the source opened itself (a connection it created); never a client it was given. */
  close(): Promise<void>
}

/** Whether a Redis error is BUSYGROUP (the group exists already, which is fine). */
export function isBusyGroup(error: unknown): boolean {
  return /\bBUSYGROUP\b/.test(String((error as { message?: unknown })?.message ?? error))
}

/** The count in an `XPENDING <stream> <group>` summary reply (`[count, first, last, consumers]`). */
export function pendingCountOf(reply: unknown): number {
  const count = Array.isArray(reply) ? reply[0] : undefined
  const n = typeof count === 'number' ? count : typeof count === 'string' ? Number(count) : NaN
  return Number.isSafeInteger(n) && n >= 0 ? n : 0
}

/** The arguments after the command name of an XREADGROUP. */
export function xreadgroupArgs(
  group: string,
  consumer: string,
  streams: readonly string[],
  count: number,
  blockMs: number | undefined,
): string[] {
  const block = blockMs === undefined ? [] : ['BLOCK', String(blockMs)]
  return ['GROUP', group, consumer, 'COUNT', String(count), ...block, 'STREAMS', ...streams, ...streams.map(() => '>')]
}
