/**
 * A loopback HTTP server speaking the Upstash Redis REST protocol in front of a real redis-server,
 * so the real `@upstash/redis` client can be tested end to end without the cloud service:
 *
 * - `POST /` with a JSON command array (`["MGET", "a", "b"]`) answers `{"result": ...}`, or
 *   `{"error": "..."}` with 400 for a Redis error;
 * - `POST /pipeline` with an array of commands answers an array of `{result}` / `{error}`;
 * - `POST /multi-exec` runs the commands inside MULTI/EXEC, answering the same shape;
 * - `Authorization: Bearer <token>` is required (401 otherwise);
 * - `Upstash-Encoding: base64` (which the client sends by default) base64-encodes every string in
 *   the result except the status reply `OK`, as the service does.
 *
 * It records every HTTP request (to count round trips) and can inject faults (a delay, an HTTP
 * error status, a connection reset) for timeout, failure and retry tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RespClient, RespError, type RespArg, type RespValue } from './resp-client.js'

/** One HTTP request the shim received. */
export interface ShimRequest {
  readonly method: string
  readonly path: string
  /** The commands it carried (one for `POST /`), as sent; empty when the body was not JSON. */
  readonly commands: readonly (readonly unknown[])[]
  /** Whether the bearer token matched. */
  readonly authorized: boolean
  /** The `Upstash-Encoding` request header, if any (the client sends `base64` by default). */
  readonly encoding: string | undefined
}

/** What the shim does to the next requests instead of answering normally. */
export interface ShimFault {
  /** Wait this long before handling each request, in ms. */
  readonly delayMs?: number
  /** Answer with this HTTP status and `{"error": ...}` instead of running the commands. */
  readonly status?: number
  /**
   * Reset the connection (TCP RST) once the request is read, without answering: the client's
   * `fetch` rejects with a network error, the kind of failure `@upstash/redis` retries.
   */
  readonly reset?: boolean
  /**
   * Run the commands at once, then hold the answer this long, in ms: a read already done at Redis
   * whose reply has not arrived yet (see `UpstashShim.held`).
   */
  readonly holdReplyMs?: number
}

export interface UpstashShim {
  /** Base URL, e.g. `http://127.0.0.1:41234` (use as UPSTASH_REDIS_REST_URL). */
  readonly url: string
  /** The bearer token it accepts (use as UPSTASH_REDIS_REST_TOKEN). */
  readonly token: string
  /** Every HTTP request received, in order. */
  readonly requests: readonly ShimRequest[]
  /** Answers whose commands have run and which `holdReplyMs` is holding back right now. */
  readonly held: number
  /** The fault in effect, if any; set to undefined to heal. */
  fault: ShimFault | undefined
  /** Forgets the recorded requests. */
  resetRequests(): void
  /** Stops listening, drops open connections and the Redis connection. */
  close(): Promise<void>
}

export interface UpstashShimOptions {
  /** Port of the redis-server behind the shim. */
  redisPort: number
  /** Accepted bearer token. @default a random one */
  token?: string
  /** Port to listen on. @default a free port */
  port?: number
}

type Reply = { result: unknown } | { error: string }

class BadRequest extends Error {}

function encode(value: RespValue, base64: boolean): unknown {
  if (typeof value === 'string') return base64 && value !== 'OK' ? Buffer.from(value, 'utf8').toString('base64') : value
  if (Array.isArray(value)) return value.map((v) => encode(v, base64))
  if (value instanceof RespError) return value.message
  return value
}

function toReply(value: RespValue, base64: boolean): Reply {
  return value instanceof RespError ? { error: value.message } : { result: encode(value, base64) }
}

function asCommand(value: unknown): RespArg[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((a) => typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean')
  ) {
    throw new BadRequest('ERR each command must be a non-empty JSON array of strings and numbers')
  }
  return value as RespArg[]
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

/**
 * Starts the shim on a free loopback port.
 *
 * @example
 * ```ts
 * const redis = await startRedis()
 * const shim = await startUpstashShim({ redisPort: redis.port })
 * const client = new Redis({ url: shim.url, token: shim.token, retry: { retries: 0 } })
 * ```
 */
export async function startUpstashShim(options: UpstashShimOptions): Promise<UpstashShim> {
  const token = options.token ?? `shim-${crypto.randomUUID()}`
  const redis = new RespClient(options.redisPort)
  const requests: ShimRequest[] = []
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let fault: ShimFault | undefined
  let held = 0

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://shim').pathname
    const authorized = req.headers.authorization === `Bearer ${token}`
    const raw = await readBody(req)
    let parsed: unknown
    try {
      parsed = raw.length > 0 ? JSON.parse(raw) : undefined
    } catch {
      parsed = undefined
    }
    const batch = path === '/pipeline' || path === '/multi-exec'
    const commands = Array.isArray(parsed) ? (batch ? parsed.filter(Array.isArray) : [parsed]) : []
    const encoding = req.headers['upstash-encoding']
    requests.push({
      method: req.method ?? '',
      path,
      commands,
      authorized,
      encoding: Array.isArray(encoding) ? encoding.join(',') : encoding,
    })

    const active = fault
    if (active?.delayMs !== undefined) await sleep(active.delayMs)
    if (active?.reset === true) {
      req.socket.resetAndDestroy()
      return
    }
    if (active?.status !== undefined) return send(res, active.status, { error: 'ERR injected fault' })
    if (!authorized) return send(res, 401, { error: 'Unauthorized' })
    if (req.method !== 'POST') return send(res, 405, { error: 'ERR only POST with a JSON body is supported here' })
    if (path !== '/' && !batch) return send(res, 404, { error: `ERR unknown endpoint ${path}` })
    const base64 = String(encoding ?? '').toLowerCase() === 'base64'

    try {
      if (!Array.isArray(parsed)) throw new BadRequest('ERR the body must be a JSON array')
      if (!batch) {
        const [reply] = await redis.batch([asCommand(parsed)])
        if (active?.holdReplyMs !== undefined) {
          held++
          await sleep(active.holdReplyMs).finally(() => held--)
        }
        const out = toReply(reply!, base64)
        return send(res, 'error' in out ? 400 : 200, out)
      }
      const cmds = parsed.map(asCommand)
      if (cmds.length === 0) throw new BadRequest('ERR empty pipeline')
      if (path === '/pipeline') {
        const replies = await redis.batch(cmds)
        return send(
          res,
          200,
          replies.map((r) => toReply(r, base64)),
        )
      }
      // One write keeps MULTI ... EXEC contiguous on the shared connection.
      const replies = await redis.batch([['MULTI'], ...cmds, ['EXEC']])
      const exec = replies[replies.length - 1]!
      if (exec instanceof RespError) return send(res, 400, { error: exec.message })
      if (!Array.isArray(exec)) return send(res, 400, { error: 'ERR transaction aborted' })
      return send(
        res,
        200,
        exec.map((r) => toReply(r, base64)),
      )
    } catch (error) {
      if (error instanceof BadRequest) return send(res, 400, { error: error.message })
      // Redis unreachable (stopped, connection refused): the service would answer 5xx.
      return send(res, 500, { error: `ERR redis unavailable: ${(error as Error).message}` })
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }))
  })
  // Node's 5 s default races a client reusing a connection that sat idle about that long: the
  // client sees a reset, a store failure no test or benchmark here means to measure.
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    get held() {
      return held
    },
    get fault() {
      return fault
    },
    set fault(value) {
      fault = value
    },
    resetRequests() {
      requests.length = 0
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      redis.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
