#!/usr/bin/env node
// The revocation feed, end to end on loopback: a real redis-server holds Caracal's streams, the
// `caracal-fetch feed` CLI (Node, blocking reads) writes into an Upstash store (the REST shim in front
// of a second redis-server), and withCaracal reads that store.
//   - latency: XADD of a revocation -> the first 401 session_revoked at withCaracal (p50, p99);
//   - throughput: a backlog drained into the Upstash sink, in messages per second;
//   - REST requests the feed sends to the sink per message.
// Part of `npm run bench` (skip it there with --no-feed); alone: `node bench/feed.mjs [--quick]`.
import { build } from 'esbuild'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from '@upstash/redis'
import { withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'

const root = fileURLToPath(new URL('..', import.meta.url))
const SESSIONS = 'caracal.sessions.revoke'
const HMAC_KEY = 'f00d'.repeat(16)

const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/** Test support (redis-server, REST shim, RESP client, producer signature), bundled from TypeScript. */
async function loadSupport(dir) {
  const outfile = join(dir, 'feed-support.mjs')
  await build({
    stdin: {
      contents: [
        "export { startRedis, redisCommand } from './test/support/redis-server.ts'",
        "export { startUpstashShim } from './test/support/upstash-rest-shim.ts'",
        "export { RespClient } from './test/support/resp-client.ts'",
        "export { caracalSignature } from './test/support/caracal-streams.ts'",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
  })
  return import(outfile)
}

function startCli(env) {
  const child = spawn(process.execPath, [join(root, 'dist/cli.js'), 'feed'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const started = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk.toString()
      if (output.includes('started: ')) resolve()
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`feed CLI exited (${code}): ${output}`)))
  })
  started.catch(() => {})
  return {
    started,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', resolve)
        child.kill('SIGTERM')
      }),
  }
}

async function waitFor(probe, ok, timeoutMs) {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (ok(value)) return value
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms (last value ${value})`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

/**
 * Runs the feed benchmark; answers `{ samples, p50Ms, p99Ms, messages, messagesPerSecond,
 * restRequestsPerMessage }` and prints a short report.
 */
export async function runFeedBench({ quick = false, log = (line) => process.stdout.write(line + '\n') } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'caracal-feed-bench-'))
  const cleanups = []
  try {
    const { startRedis, redisCommand, startUpstashShim, RespClient, caracalSignature } = await loadSupport(dir)
    const streams = await startRedis()
    cleanups.push(() => streams.stop())
    const sinkRedis = await startRedis()
    cleanups.push(() => sinkRedis.stop())
    const shim = await startUpstashShim({ redisPort: sinkRedis.port })
    cleanups.push(() => shim.close())
    const env = {
      CARACAL_REDIS_URL: `redis://127.0.0.1:${streams.port}`,
      STREAMS_HMAC_KEY: HMAC_KEY,
      UPSTASH_REDIS_REST_URL: shim.url,
      UPSTASH_REDIS_REST_TOKEN: shim.token,
      CARACAL_FEED_CONSUMER: 'bench',
    }
    const producer = new RespClient(streams.port)
    cleanups.push(() => producer.close())
    const xadd = (fields) =>
      producer.command(
        'XADD',
        SESSIONS,
        '*',
        ...Object.entries(fields).flat(),
        '_sig',
        caracalSignature(SESSIONS, fields, HMAC_KEY),
      )

    // --- latency: XADD -> first 401 ------------------------------------------------------------
    const dev = await createDevIssuer({
      issuer: 'https://sts.bench',
      zoneId: 'zone-bench',
      audience: 'resource://bench',
    })
    const store = new UpstashRevocationStore(
      new Redis({ url: shim.url, token: shim.token, retry: { retries: 0 }, enableAutoPipelining: false }),
    )
    const handler = withCaracal(() => new Response('ok'), {
      audience: 'resource://bench',
      issuer: dev.issuer,
      zoneId: dev.zoneId,
      fetch: dev.fetch,
      revocations: store,
    })
    const call = async (token) =>
      (await handler(new Request('https://api.bench/', { headers: { authorization: `Bearer ${token}` } }))).status
    const cli = startCli(env)
    cleanups.push(() => cli.stop())
    await cli.started
    await waitFor(
      () => redisCommand(streams.port, 'EXISTS', SESSIONS),
      (n) => n === 1,
      10_000,
    )
    const samples = quick ? 5 : 200
    const latencies = []
    for (let i = 0; i < samples + 2; i++) {
      const sid = `bench-${i}-${crypto.randomUUID()}`
      const token = await dev.mint({ sid })
      if ((await call(token)) !== 200) throw new Error('a fresh mandate was refused before its revocation')
      const t0 = performance.now()
      await xadd({ outbox_id: `o-${i}`, zone_id: dev.zoneId, session_id: sid, reason: 'grant_revoked' })
      await waitFor(
        () => call(token),
        (s) => s === 401,
        10_000,
      )
      // The first two warm the CLI's connections and the handler's JWKS cache.
      if (i >= 2) latencies.push(performance.now() - t0)
    }
    await cli.stop()

    // --- throughput: drain a backlog into the Upstash sink -----------------------------------
    const messages = quick ? 2000 : 20_000
    await redisCommand(sinkRedis.port, 'FLUSHALL')
    for (let start = 0; start < messages; start += 1000) {
      await producer.batch(
        Array.from({ length: Math.min(1000, messages - start) }, (_, j) => {
          const fields = { outbox_id: `t-${start + j}`, zone_id: 'z', session_id: `tp-${start + j}` }
          return [
            'XADD',
            SESSIONS,
            '*',
            ...Object.entries(fields).flat(),
            '_sig',
            caracalSignature(SESSIONS, fields, HMAC_KEY),
          ]
        }),
      )
    }
    const drain = startCli(env)
    cleanups.push(() => drain.stop())
    await drain.started
    shim.resetRequests()
    const t0 = performance.now()
    await waitFor(
      () => redisCommand(sinkRedis.port, 'DBSIZE'),
      (n) => n >= messages,
      300_000,
    )
    const seconds = (performance.now() - t0) / 1000
    const restRequests = shim.requests.length
    await drain.stop()

    const result = {
      samples: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      messages,
      messagesPerSecond: messages / seconds,
      restRequestsPerMessage: restRequests / messages,
    }
    log(
      `\n## Revocation feed (CLI on Node, blocking reads; Upstash sink over loopback)\n` +
        `XADD -> first 401: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms (${result.samples} revocations)\n` +
        `throughput into the Upstash sink: ${Math.round(result.messagesPerSecond)} messages/s (backlog of ${messages})\n` +
        `REST requests to the sink per message: ${result.restRequestsPerMessage.toFixed(3)}`,
    )
    return result
  } finally {
    for (const c of cleanups.reverse()) await c()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runFeedBench({ quick: process.argv.includes('--quick') })
}
