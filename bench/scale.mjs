// The scale section of BENCHMARKS.md: memory per cached mandate (bench/memory.mjs, full and small
// mandates), the cost of 1, 100 and 1,000 configured zones (bench/zones.mjs), coalesced Upstash
// lookups under load (bench/upstash-coalescing.mjs) and the first request of a fresh Workers
// instance (bench/workerd-jwks-cache.mjs). Each part returns its own Markdown; this module runs
// them in turn and joins their reports under headings.
import { spawn } from 'node:child_process'
import { join } from 'node:path'

// The default `mandateCache` bounds and the size it counts an entry as, from the build (internal to
// the package), so the report follows them.
const { DEFAULTS } = await import('../dist/core/verification-settings.js')
const { estimatedEntryBytes } = await import('../dist/verify/mandate-cache.js')

/** Runs bench/memory.mjs in a Node of its own (it needs `--expose-gc` and a clean heap). */
function runMemory(root, quick, small) {
  const args = [
    '--expose-gc',
    join(root, 'bench/memory.mjs'),
    ...(quick ? ['--quick'] : []),
    ...(small ? ['--small'] : []),
  ]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      process.stdout.write(d)
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code !== 0 || !line) return reject(new Error(`bench/memory.mjs failed (${code})`))
      resolve(JSON.parse(line.slice('RESULT '.length)))
    })
  })
}

const kib = (bytes) => `${bytes >= 0 ? '+' : ''}${Math.round(bytes / 1024)} KiB`
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

async function memoryReport(root, quick) {
  const full = await runMemory(root, quick, false)
  const small = await runMemory(root, quick, true)
  // Per mandate only while the cache still takes every one; past its bound the heap stays put.
  const entriesOf = (result) =>
    Math.min(
      DEFAULTS.mandateCache.maxEntries,
      Math.floor(DEFAULTS.mandateCache.maxBytes / estimatedEntryBytes(result.tokenChars)),
    )
  const row = (label, result) => {
    const entries = entriesOf(result)
    const perMandate = result.runs.filter((r) => r.count <= entries).map((r) => `${Math.round(r.bytes / r.count)} B`)
    const beyond = result.runs.filter((r) => r.count > entries).map((r) => mib(r.bytes))
    const secondPass = Math.max(...result.runs.map((r) => Math.abs(r.secondPass)))
    return (
      `| ${label} (${result.tokenChars} chars) | ${perMandate.join(', ')} | ${entries} | ${beyond.join(', ')} | ` +
      `${kib(secondPass)} | ${kib(result.cacheOff.bytes)} |`
    )
  }
  const counts = (pick) =>
    full.runs
      .filter(pick)
      .map((r) => r.count.toLocaleString('en'))
      .join(', ')
  return [
    `Node ${full.node}; \`node --expose-gc bench/memory.mjs [--small]\`. Heap delta after verifying N distinct mandates`,
    'through one `withCaracal` with the default `mandateCache` (at most 10,000 entries and 16 MiB by',
    'its own estimate of 2 x token length + 512 B per entry): per mandate while the cache takes them all,',
    'the whole heap delta once N is past what the full cache holds (it must stop growing there). A second',
    'pass over the same mandates (all cache hits) must not grow the heap; neither may',
    `${full.cacheOff.count.toLocaleString('en')} verifications with \`mandateCache: false\`.`,
    '',
    `| mandate | bytes per cached mandate (N = ${counts((r) => r.count <= entriesOf(full))}) | entries the full default cache holds | heap delta past that (N = ${counts((r) => r.count > entriesOf(full))}) | largest growth on a second pass (hits) | growth with \`mandateCache: false\` |`,
    '|---|---:|---:|---:|---:|---:|',
    row('full: every anchor, delegation epoch, 3 scopes', full),
    row('small: one anchor, one scope', small),
    '',
  ]
}

/**
 * @param {object} bench what bench/run.mjs set up: `root`, `quick`, `runtimes`, and what the
 *   Upstash and workerd parts take (see their modules)
 * @returns {Promise<{ problems: string[], markdown: string[] }>}
 */
export async function benchScale(bench) {
  const { root, quick } = bench
  const problems = []
  const markdown = ['## Scale', '']
  process.stdout.write('\n## memory per cached mandate\n')
  const memory = await memoryReport(root, quick)
  process.stdout.write(`\n${memory.join('\n')}`)
  markdown.push('### Memory per cached mandate', '', ...memory)
  process.stdout.write('\n## configured zones\n')
  const { runZonesBench } = await import('./zones.mjs')
  markdown.push(
    '### Verification with 1, 100 and 1,000 configured zones',
    '',
    ...(await runZonesBench({ quick })).markdown,
    '',
  )
  if (bench.upstash) {
    process.stdout.write('\n## Upstash lookups under load\n')
    const { benchUpstashCoalescing } = await import('./upstash-coalescing.mjs')
    const coalescing = await benchUpstashCoalescing(bench.upstash)
    problems.push(...coalescing.problems)
    markdown.push('### Revocation lookups under load (Upstash, coalesced)', '', ...coalescing.markdown)
  }
  process.stdout.write('\n## workerd: first request of a fresh instance\n')
  const { benchWorkerdJwksCache } = await import('./workerd-jwks-cache.mjs')
  const workerd = await benchWorkerdJwksCache(bench.workerd)
  problems.push(...workerd.problems)
  markdown.push('### First request of a fresh instance on Workers (workerd through Miniflare)', '', ...workerd.markdown)
  return { problems, markdown }
}
