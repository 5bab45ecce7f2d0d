// The cost of verification with 1, 100 and 1,000 configured zones (the `trust` option) on Node,
// next to the single-zone `issuer` + `zoneId` configuration: a cache hit (one synchronous call per
// request) and a cache miss (`mandateCache: false`: every request a full verification, 16 in
// flight). Each configuration runs in a process of its own, as it would in production (a process
// running several would make the shared call sites polymorphic); the processes are measured in
// turn, round by round, and the report gives medians of the per-round ratios to the single zone.
// Every configuration serves the same number of distinct mandates, spread evenly over its zones,
// with every zone's keys fetched beforehand. Run by `npm run bench -- --only=zones [--quick]`.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'

const AUDIENCE = 'resource://bench-api'
const ISSUERS = 10
const POOL = 1000
const CONCURRENCY = 16
const CONFIGURATIONS = [
  { label: 'issuer + zoneId (1 zone)', zones: 1, trust: false },
  { label: 'trust, 1 zone', zones: 1, trust: true },
  { label: 'trust, 100 zones', zones: 100, trust: true },
  { label: 'trust, 1,000 zones', zones: 1000, trust: true },
]

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** ns per call of `fn(i)` over `n` calls, one at a time; `fn` answers synchronously. */
function timeSync(fn, n) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - start) / n
}

/** ns per call of `fn(i)` over `n` calls, CONCURRENCY in flight. */
async function timeConcurrent(fn, n) {
  let next = 0
  const lane = async () => {
    while (next < n) await fn(next++)
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
  return Number(process.hrtime.bigint() - start) / n
}

/** One configuration, in its own process: answers { kind: 'hit' | 'miss', calls } with ns per call. */
async function serveConfiguration(index) {
  const c = CONFIGURATIONS[index]
  const devs = []
  for (let i = 0; i < c.zones; i++) {
    devs.push(
      await createDevIssuer({ issuer: `https://sts-${i % ISSUERS}.example`, zoneId: `zone-${i}`, audience: AUDIENCE }),
    )
  }
  // Served in process: JWKS downloads are not what is measured, only counted.
  const byUrl = new Map(
    devs.map((dev) => [new URL(`${dev.issuer}/.well-known/jwks.json?zone_id=${dev.zoneId}`).href, dev]),
  )
  let fetches = 0
  const fetch = (input, init) => {
    fetches++
    return byUrl.get(new URL(input).href).fetch(input, init)
  }
  const identity = c.trust
    ? { trust: devs.map(({ issuer, zoneId }) => ({ issuer, zoneId })) }
    : { issuer: devs[0].issuer, zoneId: devs[0].zoneId }
  const constant = new Response(null, { status: 204 })
  const base = { audience: AUDIENCE, revocations: new MemoryRevocationStore(), fetch, ...identity }
  const hit = withCaracal(() => constant, base)
  const miss = withCaracal(() => constant, { ...base, mandateCache: false })
  // Each mandate its own Request, reused: the wrapper only reads the header and attaches the mandate.
  const requests = []
  for (let i = 0; i < POOL; i++) {
    const token = await devs[i % c.zones].mint({ sid: `sid-${i}` }, { expiresIn: 3600 })
    requests.push(new Request('http://127.0.0.1/x', { headers: { authorization: `Bearer ${token}` } }))
  }
  await hit.warmup()
  await miss.warmup()
  const fetchesPerZone = fetches / 2 / c.zones
  for (const request of requests) {
    for (const handler of [hit, miss]) {
      if ((await handler(request)).status !== 204) throw new Error(`zones bench: ${c.label} refused a mandate`)
    }
  }
  const ready = fetches
  process.on('message', async ({ kind, calls }) => {
    const ns =
      kind === 'hit'
        ? timeSync((i) => {
            if (hit(requests[i % POOL]).status !== 204) throw new Error(`${c.label}: a cache hit was refused`)
          }, calls)
        : await timeConcurrent(async (i) => {
            if ((await miss(requests[i % POOL])).status !== 204)
              throw new Error(`${c.label}: a verification was refused`)
          }, calls)
    if (fetches !== ready) throw new Error(`${c.label}: ${fetches - ready} JWKS fetches while measuring`)
    process.send({ ns })
  })
  process.send({ ready: true, fetchesPerZone })
}

function child(index, quick) {
  const proc = fork(fileURLToPath(import.meta.url), ['--child', String(index)], {
    execArgv: quick ? [] : ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let waiting
  proc.on('message', (message) => waiting?.(message))
  proc.on('exit', (code) => code !== 0 && code !== null && waiting?.({ error: `exited with ${code}` }))
  const next = () =>
    new Promise((resolve, reject) => {
      waiting = (message) => (message.error ? reject(new Error(message.error)) : resolve(message))
    })
  return {
    ready: next(),
    async measure(kind, calls) {
      const answer = next()
      proc.send({ kind, calls })
      return (await answer).ns
    },
    stop: () => proc.kill(),
  }
}

export async function runZonesBench({ quick }) {
  const rounds = quick ? 1 : 9
  const hitCalls = quick ? 20_000 : 400_000
  const missCalls = quick ? 500 : 6_000
  process.stdout.write('zones bench: starting one process per configuration ...\n')
  const children = CONFIGURATIONS.map((_, i) => child(i, quick))
  try {
    const setup = await Promise.all(children.map((c) => c.ready))
    const hitNs = CONFIGURATIONS.map(() => [])
    const missNs = CONFIGURATIONS.map(() => [])
    // Round -1 warms the JIT of every process and is not reported.
    for (let round = -1; round < rounds; round++) {
      const order = CONFIGURATIONS.map((_, i) => i)
      if (round % 2 === 1) order.reverse()
      for (const i of order) {
        const ns = await children[i].measure('hit', hitCalls)
        if (round >= 0) hitNs[i].push(ns)
      }
      for (const i of order) {
        const ns = await children[i].measure('miss', missCalls)
        if (round >= 0) missNs[i].push(ns)
      }
      if (round >= 0) process.stdout.write(`zones round ${round + 1}/${rounds} done\n`)
    }
    const ratio = (series, i) => median(series[i].map((ns, r) => ns / series[0][r]))
    const lines = [
      `Verification with 1, 100 and 1,000 configured zones (Node ${process.versions.node}, in process, one process per`,
      `configuration, ${rounds} rounds, medians; ${POOL} distinct mandates spread evenly over the zones; cache miss =`,
      `\`mandateCache: false\`, ${CONCURRENCY} in flight; ratios are medians of per-round ratios to the first row).`,
      '',
      '| configuration | cache hit, ns | hit / 1 zone | cache miss, µs | miss / 1 zone | JWKS fetches per zone |',
      '|---|---:|---:|---:|---:|---:|',
      ...CONFIGURATIONS.map(
        (c, i) =>
          `| ${c.label} | ${median(hitNs[i]).toFixed(0)} | ${ratio(hitNs, i).toFixed(2)} | ` +
          `${(median(missNs[i]) / 1000).toFixed(1)} | ${ratio(missNs, i).toFixed(2)} | ${setup[i].fetchesPerZone} |`,
      ),
    ]
    process.stdout.write(`\n${lines.join('\n')}\n`)
    const result = CONFIGURATIONS.map((c, i) => ({
      label: c.label,
      hitNs: median(hitNs[i]),
      hitRatio: ratio(hitNs, i),
      missNs: median(missNs[i]),
      missRatio: ratio(missNs, i),
      fetchesPerZone: setup[i].fetchesPerZone,
    }))
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
    return { rows: result, markdown: lines }
  } finally {
    for (const c of children) c.stop()
  }
}

if (process.argv[2] === '--child') await serveConfiguration(Number(process.argv[3]))
