/**
 * Smoke harness for edge-examples/: starts what an example talks to (a loopback dev issuer serving
 * its JWKS over HTTP, a real redis-server behind the Upstash REST shim), starts the example with
 * `npm run example:<name>` in its own process group, waits until `/healthz` answers, and checks one
 * valid mandate (200), a missing one (401) and a revoked one (401). Any example with an
 * `example:<name>` npm script that reads CARACAL_STS_URL, CARACAL_ZONE_ID, CARACAL_AUDIENCE, PORT
 * (and UPSTASH_REDIS_REST_URL/TOKEN, or its own `revoke`) can be smoke-tested with `smokeSuite`.
 *
 * @example
 * ```ts
 * // test/examples/<name>.test.ts
 * import { smokeSuite } from './harness.js'
 * smokeSuite({ name: 'cloudflare-worker', revoke: async (sid, infra) => { ... } })
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { DevIssuer } from '../../src/testing.js'
import { startJwksServer, type JwksServer } from '../support/jwks-server.js'
import { findRedisServer, freePort, redisCommand, startRedis, type RedisServer } from '../support/redis-server.js'
import { startUpstashShim, type UpstashShim } from '../support/upstash-rest-shim.js'

const ZONE = 'zone-smoke'
const AUDIENCE = 'resource://smoke-api'
/** Caracal's key layout (caracal-mandates.md section 5): what Caracal's revocation consumer writes. */
const REVOKED_PREFIX = 'caracal:revoked:sessions:'

export interface SmokeInfra {
  readonly dev: DevIssuer
  /** CARACAL_* for the issuer, plus UPSTASH_REDIS_REST_URL/TOKEN when redis-server is available. */
  readonly env: Readonly<Record<string, string>>
  /** Port of the redis-server behind the shim; undefined when redis-server is not installed. */
  readonly redisPort: number | undefined
  close(): Promise<void>
}

/** Starts the issuer and, when redis-server is installed, redis + the Upstash REST shim. */
export async function startSmokeInfra(): Promise<SmokeInfra> {
  const issuer: JwksServer = await startJwksServer({ zoneId: ZONE, audience: AUDIENCE })
  let redis: RedisServer | undefined
  let shim: UpstashShim | undefined
  const env: Record<string, string> = {
    CARACAL_STS_URL: issuer.issuer,
    CARACAL_ZONE_ID: ZONE,
    CARACAL_AUDIENCE: AUDIENCE,
  }
  if (findRedisServer().skip === undefined) {
    redis = await startRedis()
    shim = await startUpstashShim({ redisPort: redis.port })
    env['UPSTASH_REDIS_REST_URL'] = shim.url
    env['UPSTASH_REDIS_REST_TOKEN'] = shim.token
  }
  return {
    dev: issuer.dev,
    env,
    redisPort: redis?.port,
    async close() {
      await shim?.close()
      await redis?.stop()
      await issuer.close()
    },
  }
}

export interface RunningExample {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string
  /** The example's stdout and stderr so far (the tail). */
  output(): string
  /** Stops the whole process group (npm, the runtime, anything it spawned). Idempotent. */
  stop(): Promise<void>
}

export interface StartExampleOptions {
  /** How long to wait for `/healthz`, in ms. @default 90_000 (the npm script builds first) */
  readonly readyTimeoutMs?: number
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal)
  } catch {
    // the group is gone already
  }
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (exited(child)) {
    killGroup(child, 'SIGKILL') // leftovers whose parent exited
    return
  }
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  killGroup(child, 'SIGTERM')
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
  await done
  clearTimeout(timer)
  killGroup(child, 'SIGKILL')
}

/** Runs `npm run example:<name>` with `env` and PORT, and resolves once `/healthz` answers 200. */
export function startExample(
  name: string,
  env: Readonly<Record<string, string>>,
  options: StartExampleOptions = {},
): Promise<RunningExample> {
  return startServer(`example:${name}`, 'npm', ['run', '--silent', `example:${name}`], { ...options, env })
}

export interface StartServerOptions extends StartExampleOptions {
  /** Added to this process's environment, with PORT set to a free port. */
  readonly env: Readonly<Record<string, string>>
  /** @default the current directory */
  readonly cwd?: string
}

/**
 * Runs `command args` in its own process group with `env` and a free PORT, and resolves once
 * `/healthz` answers 200 on that port; `label` names it in errors.
 */
export async function startServer(
  label: string,
  command: string,
  args: readonly string[],
  options: StartServerOptions,
): Promise<RunningExample> {
  const port = await freePort()
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() reaches the runtime under npm too
  })
  let log = ''
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-8000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const running: RunningExample = {
    origin: `http://127.0.0.1:${port}`,
    output: () => log,
    stop: () => stopGroup(child),
  }

  const until = Date.now() + (options.readyTimeoutMs ?? 90_000)
  for (;;) {
    if (exited(child)) {
      await running.stop()
      throw new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log}`)
    }
    try {
      const res = await fetch(`${running.origin}/healthz`, { signal: AbortSignal.timeout(1000) })
      await res.body?.cancel()
      if (res.status === 200) return running
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      await running.stop()
      throw new Error(`${label} not ready on port ${port} in time:\n${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Marks `sid` revoked the way Caracal's revocation consumer does: one key in the shared Redis. */
export async function revokeInRedis(sid: string, infra: SmokeInfra): Promise<void> {
  if (infra.redisPort === undefined) throw new Error('redis-server is not running')
  await redisCommand(infra.redisPort, 'SET', `${REVOKED_PREFIX}${sid}`, '1', 'PX', 86_400_000)
}

export interface SmokeSpec {
  /** The npm script is `example:<name>`. */
  readonly name: string
  /**
   * Writes a revocation of `sid` where the running example reads revocations.
   * @default revokeInRedis (the example uses UpstashRevocationStore.fromEnv() behind the shim)
   */
  readonly revoke?: (sid: string, infra: SmokeInfra) => Promise<void>
  /** Extra environment for the example (e.g. a local KV namespace). */
  readonly env?: (infra: SmokeInfra) => Record<string, string>
  readonly readyTimeoutMs?: number
  /** Further checks of this example, run against the same running process. */
  readonly checks?: readonly SmokeCheck[]
}

/** One extra smoke check: `get(path, token?)` requests the running example. */
export interface SmokeCheck {
  readonly name: string
  run(get: (path: string, token?: string) => Promise<Response>, infra: SmokeInfra, origin: string): Promise<void>
}

/** Registers the smoke tests of one example: start it, 200, 401, revoked 401, stop it. */
export function smokeSuite(spec: SmokeSpec): void {
  describe(`edge-examples/${spec.name} (npm run example:${spec.name})`, () => {
    let infra: SmokeInfra
    let example: RunningExample
    const revoke = spec.revoke ?? revokeInRedis
    const canRevoke = spec.revoke !== undefined || findRedisServer().skip === undefined

    beforeAll(async () => {
      infra = await startSmokeInfra()
      example = await startExample(spec.name, { ...infra.env, ...spec.env?.(infra) }, spec)
    }, 120_000)

    afterAll(async () => {
      await example?.stop()
      await infra?.close()
    }, 30_000)

    const get = (path: string, token?: string): Promise<Response> =>
      fetch(`${example.origin}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })

    test('a valid mandate gets 200 and the handler sees it', async () => {
      const res = await get('/', await infra.dev.mint({ sub: `user-${spec.name}` }))
      const body = await res.text()
      expect(res.status, `${body}\n--- example output ---\n${example.output()}`).toBe(200)
      expect(JSON.parse(body)).toMatchObject({ sub: `user-${spec.name}` })
    })

    test('a missing mandate gets 401 missing_token; /healthz stays open', async () => {
      const res = await get('/')
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      expect(await res.json()).toMatchObject({ error: 'missing_token' })
      expect((await get('/healthz')).status).toBe(200)
    })

    test.skipIf(!canRevoke)('a mandate revoked in the shared store gets 401 session_revoked', async () => {
      const sid = `sid-smoke-${crypto.randomUUID()}`
      const token = await infra.dev.mint({ sid })
      expect((await get('/', token)).status).toBe(200)
      await revoke(sid, infra)
      const res = await get('/', token)
      expect(res.status, example.output()).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'session_revoked' })
    })

    for (const check of spec.checks ?? []) test(check.name, () => check.run(get, infra, example.origin))
  })
}
