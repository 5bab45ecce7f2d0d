#!/usr/bin/env node
// npm run bench [-- --quick] [-- --runtimes=node,bun] [-- --no-feed] [-- --no-scale] [-- --only=zones]
//
// HTTP load on loopback (autocannon) against the same tiny handler served bare, behind withCaracal
// (repeated mandate = cache hit; every mandate new = cache miss; bad signatures), behind a
// hand-written jose verifier and behind hono/jwk, in Node, Bun and Deno; plus in-process
// micro-benchmarks, cold start, and the Upstash store against a loopback REST shim in front of a
// real redis-server. Every pair is measured interleaved, round by round, and the report gives
// medians of the per-round ratios. Full runs write BENCHMARKS.md; --quick only checks the harness.
import autocannon from 'autocannon'
import { build } from 'esbuild'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createDevIssuer } from 'caracal-fetch/testing'

const root = fileURLToPath(new URL('..', import.meta.url))
const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const runtimesArg = argv.find((a) => a.startsWith('--runtimes='))?.slice('--runtimes='.length)
// --only=zones: just the configured-zones measurement (bench/zones.mjs), in process on Node.
// The other --only= values are handled further down, where their runtimes are set up.
if (argv.includes('--only=zones')) {
  const { runZonesBench } = await import('./zones.mjs')
  await runZonesBench({ quick })
  process.exit(0)
}
const bin = (name) => join(root, 'node_modules', '.bin', name)
const RUNTIMES = {
  node: { cmd: process.execPath, args: [] },
  bun: { cmd: bin('bun'), args: [] },
  deno: { cmd: bin('deno'), args: ['run', '--allow-read', '--allow-net=127.0.0.1', '--allow-env', '--allow-sys'] },
}
const runtimes = runtimesArg ? runtimesArg.split(',') : Object.keys(RUNTIMES)
// 12 rounds: with 8, the median of a Bun caracal / jose pair (per-round spread about +-3%) moved
// between 0.99 and 1.01 from one full run to the next.
const roundsArg = argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length)
const ROUNDS = quick ? 1 : Number(roundsArg ?? 12)
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a positive integer, not ${roundsArg}`)
const DURATION_S = quick ? 0.5 : 3
const CONNECTIONS = 16
// Slices per measurement (see the round loop); wrk measures in whole seconds, so DURATION_S / SLICES >= 1.
const SLICES = quick ? 1 : 3
const POOL = quick ? 64 : 1000

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const tmp = mkdtempSync(join(tmpdir(), 'caracal-bench-'))
const cleanups = []
async function shutdown(code) {
  for (const c of cleanups.reverse()) await c()
  cleanups.length = 0
  rmSync(tmp, { recursive: true, force: true })
  process.exit(code)
}
process.on('uncaughtException', (error) => {
  console.error(error)
  void shutdown(1)
})
process.on('unhandledRejection', (error) => {
  console.error(error)
  void shutdown(1)
})

// --- fixture: one issuer, a pool of valid mandates and a pool with broken signatures -------------
// JWKS requests served, so a measurement that must make none can check it did not.
let jwksRequests = 0
const jwksServer = createServer((req, res) => {
  jwksRequests++
  const answer = dev.handleJwks(new Request(`http://127.0.0.1${req.url}`))
  if (!answer) return res.writeHead(404).end()
  void answer.text().then((body) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(body))
})
await new Promise((r) => jwksServer.listen(0, '127.0.0.1', r))
cleanups.push(() => jwksServer.close())
const issuer = `http://127.0.0.1:${jwksServer.address().port}/sts`
const dev = await createDevIssuer({ issuer, zoneId: 'zone-bench', audience: 'resource://bench-api' })
// Bench mandates live an hour (Caracal's are 15 minutes) so a full run never sees one expire.
const tokens = []
for (let i = 0; i < POOL; i++)
  tokens.push(await dev.mint({ scope: 'bench:read', sid: `sid-${i}` }, { expiresIn: 3600 }))
const badTokens = tokens.map((t) => {
  const cut = t.length - 20
  return t.slice(0, cut) + (t[cut] === 'A' ? 'B' : 'A') + t.slice(cut + 1)
})

// --- Upstash: a real redis-server behind the loopback REST shim (test support, bundled here) -----
let upstash
if (runtimes.includes('node')) {
  const support = join(tmp, 'support.mjs')
  await build({
    stdin: {
      contents: `export { startRedis } from './test/support/redis-server.ts'; export { startUpstashShim } from './test/support/upstash-rest-shim.ts'`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: support,
    logLevel: 'error',
  })
  const { startRedis, startUpstashShim } = await import(support)
  const redis = await startRedis()
  cleanups.push(() => redis.stop())
  const shim = await startUpstashShim({ redisPort: redis.port, token: 'bench-token' })
  cleanups.push(() => shim.close())
  upstash = { redis, shim }
}

const fixturePath = join(tmp, 'fixture.json')
writeFileSync(
  fixturePath,
  JSON.stringify({
    issuer,
    zoneId: dev.zoneId,
    audience: dev.audience,
    jwks: dev.jwks,
    tokens: tokens.slice(0, 1),
    liveIssuer: issuer,
    liveToken: tokens[0],
    upstash: upstash && { url: upstash.shim.url, token: upstash.shim.token },
  }),
)

// --- helpers ----------------------------------------------------------------------------------
async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const port = s.address().port
  await new Promise((r) => s.close(r))
  return port
}

async function startServer(runtime, variant) {
  const port = await freePort()
  const { cmd, args } = RUNTIMES[runtime]
  const child = spawn(cmd, [...args, join(root, 'bench/server.mjs'), variant, String(port), fixturePath], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  cleanups.push(() => child.kill('SIGKILL'))
  await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes(`ready ${port}`)) resolve()
    })
    child.on('exit', (code) => reject(new Error(`${runtime} ${variant} server exited with ${code}`)))
  })
  return { url: `http://127.0.0.1:${port}/x`, pid: child.pid, stop: () => child.kill('SIGKILL') }
}

// CPU time of a server process (all its threads) and of its main thread, in microseconds, from
// Linux /proc; undefined elsewhere. Clock ticks are 10 ms, so only seconds-long loads are resolved.
function cpuTimes(pid) {
  const read = (path) => {
    try {
      const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ')
      return (Number(fields[11]) + Number(fields[12])) * 10_000
    } catch {
      return undefined
    }
  }
  const all = read(`/proc/${pid}/stat`)
  const main = read(`/proc/${pid}/task/${pid}/stat`)
  return all === undefined || main === undefined ? undefined : { all, main }
}

// Every measurement starts from the same state: the load generator's garbage from the previous
// scenario (a bare handler's run leaves several times more than a verifying one's) is collected
// now, not during the next scenario, where it would slow whichever variant happens to follow.
async function settle() {
  globalThis.gc?.()
  await new Promise((resolve) => setTimeout(resolve, quick ? 20 : LOADGEN === 'wrk' ? 200 : 500))
}

// The load generator: wrk (C, one thread) when it is on PATH, else autocannon (npm). On 2 cores the
// generator shares the CPU with the server under test; autocannon spends several times more CPU per
// request than wrk, which dilutes every server-side difference towards 1.0 and adds noise to each
// round. `--loadgen=autocannon` forces the npm one. Both give the same normalised result.
const loadgenArg = argv.find((a) => a.startsWith('--loadgen='))?.slice('--loadgen='.length)
const hasWrk = spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined
if (loadgenArg === 'wrk' && !hasWrk) throw new Error('--loadgen=wrk: wrk is not on PATH (apt-get install wrk)')
const LOADGEN = loadgenArg ?? (hasWrk ? 'wrk' : 'autocannon')
if (!['wrk', 'autocannon'].includes(LOADGEN)) throw new Error(`--loadgen must be wrk or autocannon, not ${LOADGEN}`)
const wrkVersion = () => spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 2).join(' ')
// wrk takes whole seconds.
const seconds = (s) => (LOADGEN === 'wrk' ? Math.max(1, Math.round(s)) : s)

/** @typedef {{ total: number, rps: number, ok: number, notOk: number, errors: number, latencyMs: number }} Load */

/** @returns {Promise<Load>} */
function load(url, pool, s, connections = CONNECTIONS) {
  return LOADGEN === 'wrk' ? loadWrk(url, pool, seconds(s), connections) : loadAutocannon(url, pool, s, connections)
}

function loadAutocannon(url, pool, s, connections) {
  let i = 0
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration: s,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({
              ...req,
              headers: { ...req.headers, authorization: `Bearer ${pool[i++ % pool.length]}` },
            }),
          },
        ],
      },
      (err, r) =>
        err
          ? reject(err)
          : resolve({
              total: r.requests.total,
              rps: r.requests.average,
              ok: r['2xx'],
              notOk: r.non2xx,
              errors: r.errors,
              latencyMs: r.latency.average,
            }),
    )
  })
}

// One Lua script per token pool: every request is formatted once at startup, so the per-request
// work in wrk is picking the next one. wrk counts a status >= 400 as an error of kind `status`.
const wrkScripts = new Map()
function wrkScript(pool) {
  let path = wrkScripts.get(pool)
  if (path === undefined) {
    path = join(tmp, `pool-${wrkScripts.size}.lua`)
    writeFileSync(
      path,
      [
        `local tokens = { ${pool.map((t) => JSON.stringify(t)).join(', ')} }`,
        'local reqs, n = {}, 0',
        'init = function()',
        '  for k, t in ipairs(tokens) do reqs[k] = wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. t }) end',
        'end',
        'request = function()',
        '  n = n % #reqs + 1',
        '  return reqs[n]',
        'end',
        'done = function(s, latency)',
        '  local e = s.errors',
        `  io.write(string.format('RESULT {"total":%d,"us":%d,"status":%d,"errors":%d,"latencyUs":%f}\\n',`,
        '    s.requests, s.duration, e.status, e.connect + e.read + e.write + e.timeout, latency.mean))',
        'end',
        '',
      ].join('\n'),
    )
    wrkScripts.set(pool, path)
  }
  return path
}

function loadWrk(url, pool, s, connections) {
  const args = ['-t1', `-c${connections}`, `-d${s}s`, '-s', wrkScript(pool), url]
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code !== 0 || !line) return reject(new Error(`wrk ${args.join(' ')} failed (${code}):\n${out}`))
      const r = JSON.parse(line.slice('RESULT '.length))
      resolve({
        total: r.total,
        rps: r.total / (r.us / 1e6),
        ok: r.total - r.status,
        notOk: r.status,
        errors: r.errors,
        latencyMs: r.latencyUs / 1000,
      })
    })
  })
}

// name -> [variant, token pool, expected status]
const SCENARIOS = {
  bare: ['bare', tokens.slice(0, 1), 200],
  'bare, reads Authorization': ['bare-header', tokens.slice(0, 1), 200],
  'caracal, repeated mandate': ['caracal', tokens.slice(0, 1), 200],
  'caracal, every mandate new': ['caracal-miss', tokens, 200],
  'jose, every mandate new': ['jose', tokens, 200],
  'caracal, bad signature': ['caracal-miss', badTokens, 401],
  'jose, bad signature': ['jose', badTokens, 401],
  'hono/jwk, every mandate new': ['hono-jwk', tokens, 200],
}
// The order of a round: each target pair is one block (see the round loop).
const BLOCKS = [
  ['bare', 'bare, reads Authorization', 'caracal, repeated mandate'],
  ['caracal, every mandate new', 'jose, every mandate new'],
  ['caracal, bad signature', 'jose, bad signature'],
  ['hono/jwk, every mandate new'],
]
const RATIOS = [
  ['repeated mandate: caracal / bare', 'caracal, repeated mandate', 'bare', '>= 0.85'],
  [
    'repeated mandate: caracal / bare that reads Authorization',
    'caracal, repeated mandate',
    'bare, reads Authorization',
    '>= 0.95',
  ],
  ['every mandate new: caracal / jose', 'caracal, every mandate new', 'jose, every mandate new', '>= 1.0'],
  ['bad signature: caracal / jose', 'caracal, bad signature', 'jose, bad signature', '>= 1.0'],
  ['every mandate new: caracal / bare', 'caracal, every mandate new', 'bare', ''],
  ['every mandate new: jose / bare', 'jose, every mandate new', 'bare', ''],
  ['every mandate new: hono/jwk / bare', 'hono/jwk, every mandate new', 'bare', ''],
]

// Server CPU per request (Linux /proc), caracal / jose: all threads (the signature primitive's
// worker threads included) and the main thread alone.
const CPU_RATIOS = [
  [
    'repeated mandate: caracal / bare that reads Authorization',
    'caracal, repeated mandate',
    'bare, reads Authorization',
  ],
  ['every mandate new: caracal / jose', 'caracal, every mandate new', 'jose, every mandate new'],
  ['bad signature: caracal / jose', 'caracal, bad signature', 'jose, bad signature'],
]

// Asynchronous on purpose: the cold-start measurement fetches the JWKS from this process.
async function runMicro(runtime, extra = []) {
  const { cmd, args } = RUNTIMES[runtime]
  const flags = [...(quick ? ['--quick'] : []), ...extra]
  const child = spawn(cmd, [...args, join(root, 'bench/micro.mjs'), fixturePath, ...flags], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const code = await new Promise((resolve) => child.on('exit', resolve))
  const line = out.split('\n').find((l) => l.startsWith('RESULT '))
  if (code !== 0 || !line) throw new Error(`${runtime} micro-benchmark failed:\n${out}\n${err}`)
  return JSON.parse(line.slice('RESULT '.length))
}

// `--only=cold-start`: only the first-request figures of bench/micro.mjs, per runtime.
if (argv.includes('--only=cold-start')) {
  for (const runtime of runtimes) {
    const { runtime: version, coldStart: c } = await runMicro(runtime, ['--cold-start-only'])
    process.stdout.write(
      `${version}: first request / warm uncached: no warmup ${(c.coldMs / c.warmMs).toFixed(2)}, ` +
        `after warmup() ${(c.afterWarmupMs / c.warmMs).toFixed(2)}, keys in jwksCache ${(c.persistedMs / c.warmMs).toFixed(2)}\n`,
    )
  }
  await shutdown(0)
}

// The scale measurements (bench/scale.mjs) take these; each is also runnable alone with
// `--only=upstash-coalescing` or `--only=workerd-jwks-cache`.
const scaleBench = {
  root,
  quick,
  upstash: upstash && { runtimes, startServer, load, shim: upstash.shim, tokens, quick, settle },
  workerd: {
    build,
    root,
    issuer,
    zoneId: dev.zoneId,
    audience: dev.audience,
    jwks: dev.jwks,
    token: tokens[0],
    quick,
    jwksRequests: () => jwksRequests,
  },
}
async function onlyOne(run) {
  const { problems: found } = await run()
  for (const p of found) process.stdout.write(`PROBLEM ${p}\n`)
  process.stdout.write(`\nbench: ${found.length === 0 ? 'harness ok' : `${found.length} problem(s)`}\n`)
  await shutdown(found.length === 0 ? 0 : 1)
}
if (argv.includes('--only=upstash-coalescing')) {
  if (!upstash) throw new Error('--only=upstash-coalescing needs node among --runtimes (it starts the REST shim)')
  const { benchUpstashCoalescing } = await import('./upstash-coalescing.mjs')
  await onlyOne(() => benchUpstashCoalescing(scaleBench.upstash))
}
if (argv.includes('--only=workerd-jwks-cache')) {
  const { benchWorkerdJwksCache } = await import('./workerd-jwks-cache.mjs')
  await onlyOne(() => benchWorkerdJwksCache(scaleBench.workerd))
}

const problems = []
const report = {}
for (const runtime of runtimes) {
  process.stdout.write(`\n## ${runtime}\n`)
  const micro = await runMicro(runtime)
  const servers = {}
  for (const variant of new Set(Object.values(SCENARIOS).map(([v]) => v)))
    servers[variant] = await startServer(runtime, variant)
  const rps = Object.fromEntries(Object.keys(SCENARIOS).map((k) => [k, []]))
  const cpu = Object.fromEntries(Object.keys(SCENARIOS).map((k) => [k, []]))
  for (const [name, [variant, pool]] of Object.entries(SCENARIOS))
    await load(servers[variant].url, pool, quick ? 0.3 : 1) // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Compared scenarios run back to back as a block, and every other round swaps the order inside
    // each block: both sides of a ratio then follow the previous block equally often. (Reversing the
    // whole sequence instead left "caracal, every mandate new" as the only one ever to run straight
    // after the 60 000 req/s repeated-mandate run, which costs whatever runs next a few percent.)
    //
    // Within a block each scenario's DURATION_S is measured as SLICES alternating slices (A B B A A B):
    // this shared machine's slow spells last seconds, and slices spread each one over both sides
    // of a pair instead of landing on whichever side was running.
    for (const block of BLOCKS) {
      const names = (round % 2 === 1 ? [...block].reverse() : block).filter((name) => SCENARIOS[name] !== undefined)
      const sum = Object.fromEntries(
        names.map((name) => [name, { total: 0, seconds: 0, cpuAll: 0, cpuMain: 0, cpu: true }]),
      )
      for (let slice = 0; slice < SLICES; slice++) {
        for (const name of slice % 2 === 1 ? [...names].reverse() : names) {
          const [variant, pool, status] = SCENARIOS[name]
          await settle()
          const before = cpuTimes(servers[variant].pid)
          const r = await load(servers[variant].url, pool, DURATION_S / SLICES)
          const after = cpuTimes(servers[variant].pid)
          const s = sum[name]
          s.total += r.total
          s.seconds += r.total / r.rps
          if (before && after) {
            s.cpuAll += after.all - before.all
            s.cpuMain += after.main - before.main
          } else s.cpu = false
          const wrong = status === 200 ? r.notOk : r.ok
          if (wrong > 0 || r.errors > 0 || r.total === 0) {
            problems.push(`${runtime} ${name}: ${wrong} unexpected statuses, ${r.errors} errors, ${r.total} requests`)
          }
        }
      }
      for (const name of names) {
        const s = sum[name]
        if (s.total === 0) continue
        rps[name].push(s.total / s.seconds)
        if (s.cpu) cpu[name].push({ all: s.cpuAll / s.total, main: s.cpuMain / s.total })
      }
    }
    process.stdout.write(`round ${round + 1}/${ROUNDS} done\n`)
  }
  for (const s of Object.values(servers)) s.stop()
  const ratios = RATIOS.map(([label, a, b, target]) => {
    const perRound = rps[a].map((x, i) => x / rps[b][i])
    return { label, ratio: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), target }
  })
  // Why a req/s ratio is what it is: the server's CPU per request, all threads and main thread.
  const cpuRatios = CPU_RATIOS.flatMap(([label, a, b]) => {
    if (cpu[a].length !== ROUNDS || cpu[b].length !== ROUNDS) return []
    const ratio = (key) => median(cpu[a].map((x, i) => x[key] / cpu[b][i][key]))
    return [{ label, all: ratio('all'), main: ratio('main') }]
  })
  // The fastest raw ES256 primitive of this runtime, per mode (every '... verify' case is a primitive),
  // chosen by median; each case is then given relative to it as the median of per-round ratios (the
  // cases of a round run back to back, so drift between rounds cancels out).
  const fastest = {}
  const relative = {}
  for (const [mode, ns] of Object.entries(micro.nsPerOp)) {
    const primitives = Object.entries(ns).filter(([k]) => / verify( \(async\))?$/.test(k) && !k.startsWith('caracal'))
    const [name, value] = primitives.sort((a, b) => a[1] - b[1])[0]
    fastest[mode] = { name, value }
    const base = micro.samples[mode][name]
    relative[mode] = Object.fromEntries(
      Object.entries(micro.samples[mode]).map(([k, xs]) => [k, median(xs.map((x, i) => x / base[i]))]),
    )
  }
  report[runtime] = {
    micro,
    rps: Object.fromEntries(Object.entries(rps).map(([k, v]) => [k, median(v)])),
    ratios,
    cpuRatios,
    fastest,
    relative,
  }
  printRuntime(runtime)
}

// Upstash: requests per verification, and the latency it adds over the memory store (Node).
let upstashReport
if (upstash) {
  const memory = await startServer('node', 'caracal')
  const remote = await startServer('node', 'caracal-upstash')
  const lat = { memory: [], upstash: [] }
  const tput = { memory: [], upstash: [] }
  await load(remote.url, tokens.slice(0, 1), quick ? 0.3 : 1)
  // Requests per verification, counted exactly: a fixed number of requests, each answered before
  // the next, against the shim's own count (a timed load leaves requests in flight at its end that
  // the server verifies but the generator no longer counts).
  const verifications = quick ? 50 : 500
  // The warm-up's abandoned requests finish first: wait until the shim has been quiet for 300 ms.
  for (let seen = -1; seen !== upstash.shim.requests.length;) {
    seen = upstash.shim.requests.length
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  const before = upstash.shim.requests.length
  for (let i = 0; i < verifications; i++) {
    const res = await fetch(remote.url, { headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } })
    await res.arrayBuffer()
    if (res.status !== 200) problems.push(`upstash: request ${i} answered ${res.status}`)
  }
  const perRequest = (upstash.shim.requests.length - before) / verifications
  if (perRequest !== 1) problems.push(`upstash: ${perRequest.toFixed(3)} HTTP requests per verification`)
  upstashReport = { perRequest }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, srv] of [
      ['memory', memory],
      ['upstash', remote],
    ]) {
      const r = await load(srv.url, tokens.slice(0, 1), DURATION_S)
      if (r.notOk > 0 || r.errors > 0) problems.push(`upstash ${key}: ${r.notOk} non-2xx, ${r.errors} errors`)
      lat[key].push(r.latencyMs)
      tput[key].push(r.rps)
    }
  }
  memory.stop()
  remote.stop()
  upstashReport = {
    ...upstashReport,
    addedLatencyMs: median(lat.upstash.map((x, i) => x - lat.memory[i])),
    latencyRatio: median(lat.upstash.map((x, i) => x / lat.memory[i])),
    throughputRatio: median(tput.upstash.map((x, i) => x / tput.memory[i])),
  }
  process.stdout.write(
    `\n## Upstash store (node, loopback REST shim + redis-server)\n` +
      `HTTP requests to the REST endpoint per verification: ${upstashReport.perRequest.toFixed(3)}\n` +
      `mean latency, upstash / memory store: ${upstashReport.latencyRatio.toFixed(2)} x (+${upstashReport.addedLatencyMs.toFixed(2)} ms)\n` +
      `req/s, upstash / memory store: ${upstashReport.throughputRatio.toFixed(2)}\n`,
  )
}

// The revocation feed (bench/feed.mjs): XADD -> first 401, throughput into the Upstash sink. --no-feed skips it.
let feedReport
if (runtimes.includes('node') && !argv.includes('--no-feed')) {
  const { runFeedBench } = await import('./feed.mjs')
  feedReport = await runFeedBench({ quick })
  if (feedReport.restRequestsPerMessage > 0.1) {
    problems.push(
      `feed: ${feedReport.restRequestsPerMessage.toFixed(3)} REST requests per message (batches not pipelined)`,
    )
  }
}

// Memory, zones, coalesced lookups and the fresh Workers instance: the scale section of BENCHMARKS.md.
// --no-scale skips it.
let scaleReport
if (!argv.includes('--no-scale')) {
  const { benchScale } = await import('./scale.mjs')
  scaleReport = await benchScale(scaleBench)
  problems.push(...scaleReport.problems)
}

function fmtRatio(r) {
  return `${r.ratio.toFixed(2)} (${r.min.toFixed(2)}-${r.max.toFixed(2)})`
}

function runtimeTable(runtime) {
  const { micro, ratios, cpuRatios, fastest, relative } = report[runtime]
  const { sequential } = micro.nsPerOp
  const lines = [
    `### ${micro.runtime} (signature primitive in use: ${micro.primitive})`,
    '',
    '| HTTP req/s ratio (median of rounds, min-max) | measured | target |',
    '|---|---|---|',
    ...ratios.map((r) => `| ${r.label} | ${fmtRatio(r)} | ${r.target || '-'} |`),
    '',
    ...(cpuRatios.length === 0
      ? []
      : [
          '| server CPU time per request (median of per-round ratios) | all threads | main thread |',
          '|---|---|---|',
          ...cpuRatios.map((c) => `| ${c.label} | ${c.all.toFixed(2)} | ${c.main.toFixed(2)} |`),
          '',
        ]),
    `| in process, ns per call relative to the fastest primitive | one at a time (${fastest.sequential.name} = 1) | 16 in flight (${fastest.concurrent.name} = 1) | target |`,
    '|---|---|---|---|',
    ...Object.keys(sequential).map(
      (k) =>
        `| ${k} | ${relative.sequential[k].toFixed(3)} | ${relative.concurrent[k].toFixed(3)} | ${k === 'caracal verify (uncached)' ? '<= 1.3' : '-'} |`,
    ),
  ]
  if (micro.coldStart) {
    const c = micro.coldStart
    lines.push(
      '',
      '| first request, relative to a warm uncached request | ratio |',
      '|---|---|',
      `| cold isolate, no warmup() (pays one loopback JWKS fetch) | ${(c.coldMs / c.warmMs).toFixed(2)} |`,
      `| after warmup() | ${(c.afterWarmupMs / c.warmMs).toFixed(2)} |`,
      ...(c.persistedMs === undefined
        ? []
        : [`| cold isolate, keys in jwksCache (an in-memory store) | ${(c.persistedMs / c.warmMs).toFixed(2)} |`]),
    )
  }
  return lines.join('\n')
}

/** The short table of docs/operations.md (between its bench markers): the targeted ratios per runtime. */
function writeSummary() {
  const summaryPath = join(root, 'docs/operations.md')
  const doc = readFileSync(summaryPath, 'utf8')
  const start = '<!-- bench:start -->'
  const end = '<!-- bench:end -->'
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  if (from === -1 || to === -1) throw new Error('docs/operations.md has no bench markers')
  const pick = (runtime, label) => report[runtime].ratios.find((r) => r.label === label)
  const micro = (runtime) => report[runtime].relative.concurrent['caracal verify (uncached)'].toFixed(2)
  const rows = [
    [
      'repeated mandate: caracal / bare handler (target >= 0.85)',
      (r) => fmtRatio(pick(r, 'repeated mandate: caracal / bare')),
    ],
    [
      'repeated mandate: caracal / bare handler that reads Authorization (target >= 0.95)',
      (r) => fmtRatio(pick(r, 'repeated mandate: caracal / bare that reads Authorization')),
    ],
    [
      'every mandate new: caracal / jose (target >= 1.0)',
      (r) => fmtRatio(pick(r, 'every mandate new: caracal / jose')),
    ],
    ['bad signature: caracal / jose (target >= 1.0)', (r) => fmtRatio(pick(r, 'bad signature: caracal / jose'))],
    [
      'every mandate new: hono/jwk / bare (for comparison)',
      (r) => fmtRatio(pick(r, 'every mandate new: hono/jwk / bare')),
    ],
    ['one uncached verification / fastest primitive, 16 in flight (target <= 1.3)', micro],
  ]
  const table = [
    `| req/s ratio, median of ${ROUNDS} interleaved rounds (min-max) | ${runtimes.map((r) => report[r].micro.runtime).join(' | ')} |`,
    `|---|${runtimes.map(() => '---').join('|')}|`,
    ...rows.map(([label, f]) => `| ${label} | ${runtimes.map(f).join(' | ')} |`),
    ...(upstashReport
      ? [
          '',
          `Upstash store (Node): ${upstashReport.perRequest.toFixed(3)} HTTP requests to the REST endpoint per verification;`,
          `it adds ${upstashReport.addedLatencyMs.toFixed(2)} ms of mean latency over the memory store at ${CONNECTIONS} connections on loopback (the REST`,
          'shim is a single Node process in front of redis-server, so this is an upper bound for loopback, not a network figure).',
        ]
      : []),
  ].join('\n')
  const updated = `${doc.slice(0, from + start.length)}\n\nMeasured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` on the CI machine kind (2 cores); full tables, method and versions in [BENCHMARKS.md](../BENCHMARKS.md).\n\n${table}\n\n${doc.slice(to)}`
  writeFileSync(summaryPath, updated)
}

function printRuntime(runtime) {
  process.stdout.write(`${runtimeTable(runtime)}\n`)
}

const versions = Object.fromEntries(Object.entries(report).map(([k, v]) => [k, v.micro.runtime]))
if (!quick) {
  const md = [
    '# Benchmarks',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on this project's CI machine kind (2 cores, shared), with`,
    `${Object.values(versions).join(', ')}; jose ${JSON.parse(readFileSync(join(root, 'node_modules/jose/package.json'), 'utf8')).version},`,
    `hono ${JSON.parse(readFileSync(join(root, 'node_modules/hono/package.json'), 'utf8')).version}; load generator: ${LOADGEN === 'wrk' ? `${wrkVersion()}, one thread` : 'autocannon'}, ${CONNECTIONS} connections.`,
    '',
    'Command: `npm run bench` (the CI smoke run is `npm run bench -- --quick`, which checks the harness, not the numbers).',
    '',
    `Method: each runtime serves every variant from its own process (bench/server.mjs: Node through`,
    `\`@hono/node-server\`, \`Bun.serve\`, \`Deno.serve\`); ${LOADGEN} loads them on loopback. Every round measures`,
    `every scenario for ${DURATION_S} s, as ${SLICES} slices that alternate with the other side of its pair (A B B A A B),`,
    `the pair's order swapped every other round, each slice after a pause (in which an autocannon generator`,
    `collects its garbage); ${ROUNDS} rounds; ratios are`,
    'per-round and the table gives their median (min-max). "Every mandate new" cycles through a pool of distinct mandates larger than the',
    'cache; the jose baseline is `jwtVerify` with `createLocalJWKSet` (keys imported once), refusing with the',
    "same response bytes as withCaracal (Caracal's JSON body and `WWW-Authenticate`, as precomputed constants).",
    'In-process numbers (bench/micro.mjs) are medians of per-batch ratios over 11 interleaved rounds, measured one call at a time',
    '(latency) and with 16 calls in flight (throughput, as under load: asynchronous primitives then run on',
    "other cores). Each column is relative to that column's fastest raw verify primitive. The <= 1.3 target",
    'is read on the 16-in-flight column, the one that matches a server under load: that is the measurement',
    'the per-runtime primitive is chosen by. On Bun the synchronous node:crypto verify is the fastest one',
    'call at a time, but used by caracal-fetch it served 0.63 x the req/s of jose over HTTP (it holds the',
    'event loop for the whole verify), and sending only the verifies that found 2 to 10 others in flight',
    'to it served 0.77-0.96 x, measured side by side on 2026-11-24; so Bun, like Deno and Workers, gets',
    'Web Crypto, and Node gets node:crypto on its thread pool.',
    '',
    'The cache-miss variant runs withCaracal with a 16-entry cache, full from the first round: it measures',
    'what a pool of tokens larger than the cache costs, including the cache admission rule (once full, a',
    'token is cached on its second verification, so tokens that do not come back are never inserted).',
    '',
    "The server CPU table divides each server process's CPU time (Linux /proc, all threads and the main",
    'thread alone) by the requests it served, per round, and gives the median ratio of the pair. It',
    'shows where a req/s ratio comes from, with less of the noise of a shared machine: with the load',
    'generator on the same 2 cores, req/s follows',
    'the CPU a request costs all threads together, and on Bun and Deno the signature primitive, the same',
    'Web Crypto call on both sides and run off the main thread, is most of it. On Bun that call costs',
    'more CPU than all the rest of a request, and the synchronous node:crypto verify about as much',
    '(within 10 %), so any verifier there sits within a few percent of the same ceiling; what',
    'caracal-fetch can still save is its main-thread share, which the main-thread column shows.',
    '',
    ...runtimes.map((r) => runtimeTable(r) + '\n'),
    ...(upstashReport
      ? [
          '### Upstash store (Node, @upstash/redis over loopback HTTP to a REST shim in front of redis-server)',
          '',
          '| measure | value |',
          '|---|---|',
          `| HTTP requests to the REST endpoint per verification | ${upstashReport.perRequest.toFixed(3)} |`,
          `| mean latency, Upstash store / memory store | ${upstashReport.latencyRatio.toFixed(2)} (+${upstashReport.addedLatencyMs.toFixed(2)} ms) |`,
          `| req/s, Upstash store / memory store | ${upstashReport.throughputRatio.toFixed(2)} |`,
          '',
        ]
      : []),
    ...(feedReport
      ? [
          '### Revocation feed (`caracal-fetch feed` on Node with blocking reads; Upstash sink over loopback)',
          '',
          '| measure | value | target |',
          '|---|---|---|',
          `| XADD -> first 401 session_revoked, p50 / p99 (${feedReport.samples} revocations) | ${feedReport.p50Ms.toFixed(1)} / ${feedReport.p99Ms.toFixed(1)} ms | p99 <= 250 ms |`,
          `| backlog drained into the Upstash sink (${feedReport.messages} messages) | ${Math.round(feedReport.messagesPerSecond)} messages/s | >= 2,000 |`,
          `| REST requests to the sink per message | ${feedReport.restRequestsPerMessage.toFixed(3)} | - |`,
          '',
        ]
      : []),
    ...(scaleReport ? scaleReport.markdown : []),
  ].join('\n')
  writeFileSync(join(root, 'BENCHMARKS.md'), md)
  writeSummary()
  process.stdout.write('\nwrote BENCHMARKS.md and the summary in docs/operations.md\n')
}
for (const p of problems) process.stdout.write(`PROBLEM ${p}\n`)
process.stdout.write(`\nbench: ${problems.length === 0 ? 'harness ok' : `${problems.length} problem(s)`}\n`)
await shutdown(problems.length === 0 ? 0 : 1)
