/**
 * Stream source over a TCP connection with node-redis (the `redis` package, an optional peer
 * dependency): for Node, Bun and Deno next to the Caracal Redis. Blocking reads wait on the server,
 * so a revocation reaches the feed as soon as it is added.
 *
 * The package is loaded only when a `redis://` / `rediss://` URL is given, through a specifier the
 * bundlers do not follow, so a Worker bundling `caracal-fetch/feed` with an Upstash source never
 * pulls a TCP client in.
 */
import { isBusyGroup, pendingCountOf, xreadgroupArgs, type StreamSource } from './types.js'

/** The part of a node-redis client (v4 and later) the source uses. */
export interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>
  connect(): Promise<unknown>
  readonly isOpen?: boolean
  readonly isReady?: boolean
  on?(event: 'error', listener: (error: unknown) => void): unknown
  close?(): Promise<unknown>
  quit?(): Promise<unknown>
}

/** Whether `value` looks like a node-redis client. */
export function isNodeRedisClient(value: unknown): value is NodeRedisClient {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v['sendCommand'] === 'function' && typeof v['connect'] === 'function'
}

// A variable, not a literal: bundlers leave `import(variable)` alone instead of resolving it.
const REDIS_PACKAGE = 'redis'

/** How the connection behaves while Redis is away: commands fail at once, reconnects back off. */
const RECONNECT_CAP_MS = 2000
/** How long a command waits for the first connection before it fails (and the feed backs off). */
const CONNECT_WAIT_MS = 2000
/** The same connection error is reported at most this often (node-redis emits one per reconnect). */
const REPEAT_REPORT_MS = 30_000

/** Reports an error when it differs from the last one, or the last is old: a down Redis is one line, not a flood. */
function quieted(report: (error: unknown) => void): (error: unknown) => void {
  let last = ''
  let lastAt = 0
  let repeats = 0
  return (error) => {
    const message = String((error as Error)?.message ?? error)
    const now = Date.now()
    if (message === last && now - lastAt < REPEAT_REPORT_MS) {
      repeats++
      return
    }
    const again = message === last && repeats > 0 ? ` (repeated ${repeats} times)` : ''
    last = message
    lastAt = now
    repeats = 0
    report(again === '' ? error : new Error(message + again))
  }
}

/**
 * Creates a node-redis client for `url` (RESP2, no offline queue: a command sent while Redis is away
 * fails at once, and the feed's own backoff takes over) and wraps it. Connection errors go to
 * `onConnectionError` instead of crashing the process as an unhandled `error` event would.
 */
export async function connectRedisUrl(
  url: string,
  onConnectionError: (error: unknown) => void,
): Promise<RedisTcpSource> {
  let mod: { createClient(options: object): NodeRedisClient }
  try {
    mod = (await import(REDIS_PACKAGE)) as typeof mod
  } catch (error) {
    throw new TypeError('RevocationFeed: a redis:// source needs the `redis` package; install it (npm i redis)', {
      cause: error,
    })
  }
  const client = mod.createClient({
    url,
    RESP: 2,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), RECONNECT_CAP_MS),
    },
  })
  client.on?.('error', quieted(onConnectionError))
  return new RedisTcpSource(client, true)
}

/** A `StreamSource` over a node-redis client. */
export class RedisTcpSource implements StreamSource {
  readonly canBlock = true
  readonly #client: NodeRedisClient
  readonly #owned: boolean
  #connecting: Promise<unknown> | undefined

  /** @param owned whether the source created the client (and so closes it). */
  constructor(client: NodeRedisClient, owned = false) {
    this.#client = client
    this.#owned = owned
  }

  async #send(args: string[]): Promise<unknown> {
    if (this.#client.isOpen === false) {
      // Once: node-redis reconnects on its own after the first connect. Its promise may wait through
      // many reconnects, so a command waits a bounded time and then fails, for the feed to back off.
      this.#connecting ??= this.#client.connect().then(
        () => (this.#connecting = undefined),
        () => (this.#connecting = undefined),
      )
    }
    if (this.#connecting !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([this.#connecting, new Promise((r) => (timer = setTimeout(r, CONNECT_WAIT_MS)))])
      clearTimeout(timer)
      if (this.#client.isReady === false) throw new Error('not connected to Redis yet (reconnecting)')
    }
    return this.#client.sendCommand(args)
  }

  async xgroupCreate(stream: string, group: string): Promise<void> {
    try {
      await this.#send(['XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM'])
    } catch (error) {
      if (!isBusyGroup(error)) throw error
    }
  }

  xreadgroup(group: string, consumer: string, streams: readonly string[], count: number, blockMs?: number) {
    return this.#send(['XREADGROUP', ...xreadgroupArgs(group, consumer, streams, count, blockMs)])
  }

  xautoclaim(stream: string, group: string, consumer: string, minIdleMs: number, cursor: string, count: number) {
    return this.#send(['XAUTOCLAIM', stream, group, consumer, String(minIdleMs), cursor, 'COUNT', String(count)])
  }

  async xack(stream: string, group: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#send(['XACK', stream, group, ...ids])
  }

  async xadd(stream: string, maxLen: number, fields: readonly string[]): Promise<void> {
    await this.#send(['XADD', stream, 'MAXLEN', '~', String(maxLen), '*', ...fields])
  }

  async xpendingCount(stream: string, group: string): Promise<number> {
    return pendingCountOf(await this.#send(['XPENDING', stream, group]))
  }

  async close(): Promise<void> {
    if (!this.#owned || this.#client.isOpen === false) return
    try {
      await (this.#client.close ?? this.#client.quit)?.call(this.#client)
    } catch {
      // Already gone: nothing left to release.
    }
  }
}
