/**
 * `caracal-fetch feed` as a process: the built CLI against a real redis-server holding Caracal's
 * streams and the Upstash REST shim in front of a second one; killed, signalled, and run while its
 * Redis goes away and comes back.
 */
import { Redis } from '@upstash/redis'
import { withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { SESSIONS, TEST_HMAC_KEY, caracalSignature, pendingCount, publish } from '../support/caracal-streams.js'
import { startFeedCli, type CliRun, type Runtime } from '../support/feed-cli.js'
import { findRedisServer, redisCommand, startRedis, type RedisServer } from '../support/redis-server.js'
import { RespClient } from '../support/resp-client.js'
import { startUpstashShim, type UpstashShim } from '../support/upstash-rest-shim.js'

const PREFIX = 'caracal:revoked:sessions:'
const found = findRedisServer()

let streams: RedisServer
let sinkRedis: RedisServer
let shim: UpstashShim
const running: CliRun[] = []

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    CARACAL_REDIS_URL: `redis://127.0.0.1:${streams.port}`,
    STREAMS_HMAC_KEY: TEST_HMAC_KEY,
    UPSTASH_REDIS_REST_URL: shim.url,
    UPSTASH_REDIS_REST_TOKEN: shim.token,
    ...extra,
  }
}

function cli(args: string[], extra: Record<string, string> = {}, runtime: Runtime = 'node'): CliRun {
  const run = startFeedCli(args, env(extra), runtime)
  running.push(run)
  return run
}

const sinkGet = (key: string) => redisCommand(sinkRedis.port, 'GET', key)

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined as T)
    if (ok(value) || Date.now() > end) return value
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe.skipIf(found.skip !== undefined)('caracal-fetch feed (CLI)', () => {
  beforeAll(async () => {
    streams = await startRedis()
    sinkRedis = await startRedis()
    shim = await startUpstashShim({ redisPort: sinkRedis.port })
  })
  afterAll(async () => {
    await shim?.close()
    await sinkRedis?.stop()
    await streams?.stop()
  })
  beforeEach(async () => {
    await redisCommand(streams.port, 'FLUSHALL')
    await redisCommand(sinkRedis.port, 'FLUSHALL')
    shim.fault = undefined
  })
  afterEach(async () => {
    for (const run of running.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL')
      await run.exited
    }
  })

  test.each([
    ['no Redis URL', { CARACAL_REDIS_URL: '' }, [], /no source: set CARACAL_REDIS_URL/],
    ['a short STREAMS_HMAC_KEY', { STREAMS_HMAC_KEY: 'ab'.repeat(16) }, [], /at least 32/],
    ['no STREAMS_HMAC_KEY', { STREAMS_HMAC_KEY: '' }, [], /STREAMS_HMAC_KEY is not set/],
    ['no sink', { UPSTASH_REDIS_REST_URL: '' }, [], /no sink/],
    ['an http:// Redis URL', { CARACAL_REDIS_URL: 'http://127.0.0.1:1' }, [], /redis:\/\/ or rediss:\/\//],
    ['a bad pending idle time', { CARACAL_FEED_PENDING_IDLE_MS: '10s' }, [], /CARACAL_FEED_PENDING_IDLE_MS/],
    [
      '--push without its secret',
      {},
      ['--push', 'https://edge.example/caracal/revocations'],
      /CARACAL_FEED_PUSH_SECRET/,
    ],
    ['an unknown flag', {}, ['--bogus'], /bogus/],
  ])('%s: one clear line and exit code 2', async (_, extra, args, message) => {
    const run = cli(args, extra)
    expect(await run.exited).toBe(2)
    expect(run.lines).toHaveLength(1)
    expect(run.lines[0]).toMatch(/^caracal-fetch feed: bad configuration: /)
    expect(run.lines[0]).toMatch(message)
  })

  test('--once handles what is there, logs one batch line and exits 0', { timeout: 60_000 }, async () => {
    await publish(streams.port, SESSIONS, { session_id: 'once-1' })
    await publish(streams.port, SESSIONS, { session_id: 'once-2' }, { sig: null })
    // The group must exist before the messages for the poll to see them: create it as the CLI would.
    await redisCommand(streams.port, 'XGROUP', 'CREATE', SESSIONS, 'caracal-fetch', '0', 'MKSTREAM')
    const run = cli(['--once', '--consumer', 'cron-1'])
    expect(await run.exited).toBe(0)
    expect(run.lines.join('\n')).toMatch(/batch handled=2 revoked=1 epochs=0 dead=1 pending=0 lag=\d+ms/)
    expect(await sinkGet(PREFIX + 'once-1')).toBe('1')
    expect(await sinkGet(PREFIX + 'once-2')).toBeNull()
  })

  test(
    'XADD -> the running CLI -> withCaracal answers 401 session_revoked; SIGTERM exits 0',
    { timeout: 60_000 },
    async () => {
      const dev = await createDevIssuer({
        issuer: 'https://sts.example',
        zoneId: 'zone-cli',
        audience: 'resource://api',
      })
      const store = new UpstashRevocationStore(
        new Redis({ url: shim.url, token: shim.token, retry: { retries: 0 }, enableAutoPipelining: false }),
      )
      const handler = withCaracal(() => new Response('ok'), {
        audience: 'resource://api',
        issuer: dev.issuer,
        zoneId: dev.zoneId,
        fetch: dev.fetch,
        revocations: store,
      })
      const call = (token: string) =>
        handler(new Request('https://api.example/', { headers: { authorization: `Bearer ${token}` } }))
      const sid = `sid-${crypto.randomUUID()}`
      const token = await dev.mint({ sid })
      expect((await call(token)).status).toBe(200)

      const run = cli([])
      await run.line(/started: /)
      await until(
        () => redisCommand(streams.port, 'EXISTS', SESSIONS),
        (n) => n === 1,
      )
      await publish(streams.port, SESSIONS, {
        outbox_id: 'o',
        zone_id: dev.zoneId,
        session_id: sid,
        reason: 'grant_revoked',
      })
      await run.line(/batch handled=1 revoked=1 /)
      const res = await call(token)
      expect(res.status).toBe(401)
      expect(((await res.json()) as { error: string }).error).toBe('session_revoked')

      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
      expect(run.lines.at(-1)).toBe('caracal-fetch feed: stopped')
    },
  )

  test(
    'killed (SIGKILL) between the store write and the ack: the message is replayed on restart',
    { timeout: 60_000 },
    async () => {
      const first = cli(['--consumer', 'doomed', '--pending-idle-ms', '300'])
      await first.line(/started: /)
      await until(
        () => redisCommand(streams.port, 'EXISTS', SESSIONS),
        (n) => n === 1,
      )
      // The store answers late, so the CLI is still waiting for the write when it is killed.
      shim.fault = { delayMs: 1500 }
      shim.resetRequests()
      await publish(streams.port, SESSIONS, { session_id: 'in-flight' })
      await until(
        async () => shim.requests.length,
        (n) => n >= 1,
      )
      first.child.kill('SIGKILL')
      expect(await first.exited).toBe('SIGKILL')
      shim.fault = undefined
      expect(await pendingCount(streams.port, SESSIONS)).toBe(1)
      // Lose the write too, as if the store had not applied it: only the replay can bring it back.
      await new Promise((r) => setTimeout(r, 1600))
      await redisCommand(sinkRedis.port, 'FLUSHALL')

      const second = cli(['--consumer', 'successor', '--pending-idle-ms', '300'])
      expect(
        await until(
          () => sinkGet(PREFIX + 'in-flight'),
          (v) => v === '1',
        ),
      ).toBe('1')
      expect(
        await until(
          () => pendingCount(streams.port, SESSIONS),
          (n) => n === 0,
        ),
      ).toBe(0)
      second.child.kill('SIGTERM')
      expect(await second.exited).toBe(0)
    },
  )

  test('Redis stopped and restarted under the CLI: no crash, nothing lost', { timeout: 60_000 }, async () => {
    const run = cli(['--pending-idle-ms', '300'])
    await run.line(/started: /)
    await until(
      () => redisCommand(streams.port, 'EXISTS', SESSIONS),
      (n) => n === 1,
    )
    // A message the CLI cannot store yet stays pending, and the stream is saved with it.
    shim.fault = { status: 500 }
    await publish(streams.port, SESSIONS, { session_id: 'before-outage' })
    await run.line(/stays pending/)
    await redisCommand(streams.port, 'SAVE')
    await streams.restart() // loads the saved streams, pending entries included
    await run.line(/reading the streams failed|connection to the Caracal Redis/)
    shim.fault = undefined
    await publish(streams.port, SESSIONS, { session_id: 'after-outage' })
    expect(
      await until(
        () => sinkGet(PREFIX + 'after-outage'),
        (v) => v === '1',
      ),
    ).toBe('1')
    expect(
      await until(
        () => sinkGet(PREFIX + 'before-outage'),
        (v) => v === '1',
      ),
    ).toBe('1')
    expect(run.child.exitCode).toBeNull()
    run.child.kill('SIGINT')
    expect(await run.exited).toBe(0)
  })

  test('a 10,000-message backlog drains', { timeout: 120_000 }, async () => {
    await redisCommand(streams.port, 'XGROUP', 'CREATE', SESSIONS, 'caracal-fetch', '0', 'MKSTREAM')
    const client = new RespClient(streams.port)
    for (let chunk = 0; chunk < 10; chunk++) {
      await client.batch(
        Array.from({ length: 1000 }, (_, i) => {
          const fields = { outbox_id: `o-${chunk}-${i}`, zone_id: 'z', session_id: `backlog-${chunk}-${i}` }
          return ['XADD', SESSIONS, '*', ...Object.entries(fields).flat(), '_sig', caracalSignature(SESSIONS, fields)]
        }),
      )
    }
    client.close()
    const run = cli([])
    const stored = await until(
      () => redisCommand(sinkRedis.port, 'DBSIZE'),
      (n) => n === 10_000,
      100_000,
    )
    expect(stored).toBe(10_000)
    expect(
      await until(
        () => pendingCount(streams.port, SESSIONS),
        (n) => n === 0,
      ),
    ).toBe(0)
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
  })

  test.each(['bun', 'deno'] as const)('runs under %s (one --once poll)', { timeout: 60_000 }, async (runtime) => {
    await redisCommand(streams.port, 'XGROUP', 'CREATE', SESSIONS, 'caracal-fetch', '0', 'MKSTREAM')
    await publish(streams.port, SESSIONS, { session_id: `on-${runtime}` })
    const run = cli(['--once'], {}, runtime)
    expect(await run.exited).toBe(0)
    expect(run.lines.join('\n')).toMatch(/batch handled=1 revoked=1 /)
    expect(await sinkGet(PREFIX + `on-${runtime}`)).toBe('1')
  })
})
