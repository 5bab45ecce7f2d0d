/**
 * Starts a real redis-server (Debian's package; `.ci/run` installs it) for integration tests: on a
 * random free loopback port, no persistence, its own temporary directory; stopped by the test.
 *
 * When redis-server is missing, `findRedisServer()` throws under `CI=true` (a missing part is a
 * failure there) and otherwise returns a reason the caller shows when it skips.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { redisCommand } from './resp-client.js'

export { redisCommand }

export type RedisServerLookup = { readonly path: string; readonly skip?: undefined } | { readonly skip: string }

/**
 * Where redis-server is: `$REDIS_SERVER` when set (and nothing else), else the first one on PATH,
 * else /usr/bin/redis-server.
 */
export function findRedisServer(): RedisServerLookup {
  const pinned = process.env['REDIS_SERVER']
  const candidates = pinned
    ? [pinned]
    : [
        ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => (dir ? join(dir, 'redis-server') : undefined)),
        '/usr/bin/redis-server',
      ]
  for (const candidate of candidates) {
    if (candidate === undefined) continue
    try {
      accessSync(candidate, constants.X_OK)
      return { path: candidate }
    } catch {
      // not here
    }
  }
  const reason = pinned
    ? `REDIS_SERVER=${pinned} is not an executable`
    : 'redis-server is not installed (apt-get install redis-server, or set REDIS_SERVER)'
  if (process.env['CI'] === 'true') throw new Error(`${reason}; CI=true makes this a failure, not a skip`)
  return { skip: `skipped: ${reason}` }
}

/** A free TCP port on 127.0.0.1 (the OS picks it; a short race with other processes remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()))
    })
  })
}

export interface RedisServer {
  readonly port: number
  /** True while the server process runs. */
  readonly running: boolean
  /** Stops the server (SIGTERM, then SIGKILL after 2 s) and removes its directory. Idempotent. */
  stop(): Promise<void>
  /** Starts it again on the same port (after `stop()`), empty. */
  restart(): Promise<void>
}

export interface StartRedisOptions {
  /** Port to listen on. @default a free port */
  port?: number
  /** How long to wait for PONG, in ms. @default 10_000 */
  readyTimeoutMs?: number
}

async function waitForPong(port: number, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited during start (${child.exitCode ?? child.signalCode}): ${log()}`)
    }
    try {
      if ((await redisCommand(port, 'PING')) === 'PONG') return
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`redis-server on port ${port} not ready after ${timeoutMs} ms: ${log()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

function spawnRedis(binary: string, port: number, dir: string): { child: ChildProcess; log: () => string } {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--logfile',
      '',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return { child, log: () => output.trim() }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/**
 * Starts redis-server and waits until it answers PING. Throws when redis-server is missing (call
 * `findRedisServer()` first to skip instead, outside CI).
 *
 * @example
 * ```ts
 * const redis = await startRedis()
 * await redisCommand(redis.port, 'SET', 'k', 'v')
 * await redis.stop()
 * ```
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const found = findRedisServer()
  if (found.skip !== undefined) throw new Error(found.skip)
  const binary = found.path
  const dir = mkdtempSync(join(tmpdir(), 'caracal-redis-'))
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000
  let port = options.port ?? (await freePort())
  let current: ChildProcess | undefined

  const launch = async (): Promise<void> => {
    const { child, log } = spawnRedis(binary, port, dir)
    current = child
    try {
      await waitForPong(port, child, readyTimeoutMs, log)
    } catch (error) {
      await stopChild(child)
      throw error
    }
  }

  // The free port may be taken between probing and binding: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch()
      break
    } catch (error) {
      if (attempt >= 3 || options.port !== undefined) {
        rmSync(dir, { recursive: true, force: true })
        throw error
      }
      port = await freePort()
    }
  }

  return {
    port,
    get running() {
      return current !== undefined && current.exitCode === null && current.signalCode === null
    },
    async stop() {
      if (current !== undefined) await stopChild(current)
      rmSync(dir, { recursive: true, force: true })
    },
    async restart() {
      if (current !== undefined) await stopChild(current)
      mkdirSync(dir, { recursive: true })
      await launch()
    },
  }
}
