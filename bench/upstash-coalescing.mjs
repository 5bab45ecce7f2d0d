// Coalesced revocation lookups of the Upstash store, over loopback: REST requests per verification
// and the mean latency added over the memory store, at 1, 16 and 64 connections, with coalescing
// (the default) and without (`coalesceLookups: false`). Run by `npm run bench -- --only=upstash-coalescing`.
//
// Requests per verification are the REST shim's request count divided by the verifications wrk
// completed in the same window; the few requests still in flight when wrk stops are counted by the
// shim and not by wrk, so the figure leans high, never low.

const CONNECTIONS = [1, 16, 64]
const VARIANTS = {
  memory: 'caracal',
  coalesced: 'caracal-upstash',
  single: 'caracal-upstash-single',
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Waits until the shim has been quiet for a moment: the previous load's last requests are done. */
async function quiet(shim) {
  for (let seen = -1; seen !== shim.requests.length;) {
    seen = shim.requests.length
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/**
 * @param {{ runtimes: string[], startServer: Function, load: Function, shim: any, tokens: string[],
 *   quick: boolean, settle: () => Promise<void> }} bench what bench/run.mjs set up
 * @returns {Promise<{ problems: string[], markdown: string[] }>} problems found (unexpected statuses,
 *   errors), and the report
 */
export async function benchUpstashCoalescing({ runtimes, startServer, load, shim, tokens, quick, settle }) {
  const problems = []
  const rounds = quick ? 1 : 3
  const seconds = quick ? 1 : 2
  const rows = []
  for (const runtime of runtimes) {
    const servers = {}
    for (const [key, variant] of Object.entries(VARIANTS)) servers[key] = await startServer(runtime, variant)
    // Every mandate of the pool verified once, so what follows measures the lookup, not the signature.
    for (const server of Object.values(servers)) await load(server.url, tokens, quick ? 1 : 2, 16)
    for (const connections of CONNECTIONS) {
      const samples = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, { latency: [], perVerification: [] }]))
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? Object.keys(VARIANTS) : Object.keys(VARIANTS).reverse()
        for (const key of order) {
          await quiet(shim)
          await settle()
          const before = shim.requests.length
          const r = await load(servers[key].url, tokens, seconds, connections)
          await quiet(shim)
          if (r.notOk > 0 || r.errors > 0 || r.total === 0) {
            problems.push(
              `${runtime} ${key} at ${connections}: ${r.notOk} non-2xx, ${r.errors} errors, ${r.total} requests`,
            )
          }
          samples[key].latency.push(r.latencyMs)
          samples[key].perVerification.push((shim.requests.length - before) / r.total)
        }
      }
      const memory = median(samples.memory.latency)
      const row = { runtime, connections }
      for (const key of ['coalesced', 'single']) {
        row[key] = {
          perVerification: median(samples[key].perVerification),
          addedMs: median(samples[key].latency.map((x, i) => x - samples.memory.latency[i])),
        }
      }
      row.memoryMs = memory
      rows.push(row)
      process.stdout.write(
        `${runtime} c=${connections}: REST requests per verification ${row.coalesced.perVerification.toFixed(3)} coalesced, ` +
          `${row.single.perVerification.toFixed(3)} one per lookup; added mean latency over the memory store ` +
          `+${row.coalesced.addedMs.toFixed(2)} ms coalesced, +${row.single.addedMs.toFixed(2)} ms one per lookup ` +
          `(memory store ${memory.toFixed(2)} ms)\n`,
      )
    }
    for (const server of Object.values(servers)) server.stop()
  }
  const markdown = [
    `Real \`@upstash/redis\` client in each runtime's server, the REST shim in front of a real redis-server`,
    `(one Node process shared by all servers), wrk on loopback; ${rounds} rounds of ${seconds} s per cell, medians.`,
    'Every mandate of a pool of 1,000 distinct ones is verified once beforehand, so the requests measure the',
    'lookup, not the signature. REST requests per verification are counted at the shim (requests still in',
    'flight when wrk stops count there and not in wrk, so the figure leans high); latency is wrk mean, minus',
    'the same server with the memory store.',
    '',
    '| runtime | connections | REST requests per verification, coalesced | one MGET per lookup | added mean latency vs memory store, coalesced | one MGET per lookup |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.runtime} | ${r.connections} | ${r.coalesced.perVerification.toFixed(3)} | ${r.single.perVerification.toFixed(3)} | +${r.coalesced.addedMs.toFixed(2)} ms | +${r.single.addedMs.toFixed(2)} ms |`,
    ),
    '',
  ]
  process.stdout.write(`\n${markdown.join('\n')}`)
  return { problems, markdown }
}
