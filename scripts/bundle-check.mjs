#!/usr/bin/env node
// Bundle check: the root entry (dist/index.js), bundled as an edge app would (esbuild, minified,
// platform neutral, jose included), must hold no hono, no @upstash/redis, no redis (node-redis) and
// no @opentelemetry code, and none of the ./hono, ./upstash, ./cloudflare-kv, ./mcp, ./otel,
// ./testing (the testing kit's HTTP server and CLI included) or ./feed modules; those subpaths
// bundle on their own. No other subpath pulls in the feed, and the feed itself bundles without any
// Redis client (its TCP client is loaded at run time, only for a redis:// source).
// Proof is twofold: esbuild's list of bundled inputs, and marker strings of each package searched
// in the output (each marker is first shown to be found in a bundle that does include the package).
// Prints the sizes and `bundle: N passed, N failed, 0 skipped`; `--write-docs <file>` rewrites the
// size table between the `<!-- bundle-sizes:start -->` and `<!-- bundle-sizes:end -->` markers.
import { build } from 'esbuild'
import { readFileSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const root = new URL('..', import.meta.url).pathname

/** Bundles one entry; `external` are peer dependencies left to the app. */
async function bundle(entry, external = []) {
  const result = await build({
    entryPoints: [`${root}${entry}`],
    absWorkingDir: root,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].contents
  return {
    entry,
    text: Buffer.from(code).toString('utf8'),
    inputs: Object.keys(result.metafile.inputs),
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
  }
}

/** Bundles a Node package (node: built-ins left external), for a positive control. */
async function bundleForNode(entry) {
  const result = await build({
    entryPoints: [`${root}${entry}`],
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  return {
    text: Buffer.from(result.outputFiles[0].contents).toString('utf8'),
    inputs: Object.keys(result.metafile.inputs),
  }
}

// A string each package's code carries and ours does not.
const MARKERS = {
  hono: 'Context is not finalized',
  '@upstash/redis': 'UPSTASH_DISABLE_TELEMETRY',
  redis: 'Socket closed unexpectedly',
  '@opentelemetry/api': 'opentelemetry.js.api',
}
const SUBPATH_MODULES = [
  'dist/hono.js',
  'dist/upstash.js',
  'dist/stores/upstash.js',
  'dist/cloudflare-kv.js',
  'dist/stores/cloudflare-kv.js',
  'dist/testing.js',
  'dist/mcp.js',
  'dist/mcp/json-rpc.js',
  'dist/mcp/tool-requirements.js',
  'dist/feed.js',
  'dist/feed/feed.js',
  'dist/feed/sources/redis-tcp.js',
  'dist/testing/dev-issuer.js',
  'dist/testing/serve.js',
  'dist/testing/sts-handler.js',
  'dist/testing/cli.js',
  'dist/cli.js',
  'dist/otel.js',
]

let passed = 0
let failed = 0
function check(ok, what) {
  if (ok) passed++
  else failed++
  process.stdout.write(`  ${ok ? '✓' : '✗'} ${what}\n`)
}

// A build error (dist/ missing, an unresolvable import) is a failed check, reported as such.
process.on('uncaughtException', (error) => {
  process.stdout.write(`  ✗ ${error.message}\nbundle: ${passed} passed, ${failed + 1} failed, 0 skipped\n`)
  process.exit(1)
})

const rootBundle = await bundle('dist/index.js')
const subpaths = [
  await bundle('dist/hono.js', ['hono']),
  await bundle('dist/upstash.js', ['@upstash/redis']),
  await bundle('dist/cloudflare-kv.js'),
  await bundle('dist/mcp.js'),
  await bundle('dist/otel.js', ['@opentelemetry/api']),
]
const feedBundle = await bundle('dist/feed.js')
// Positive controls: bundles that do contain each package, so a marker that is never found cannot
// pass the check by accident.
const controls = {
  hono: await bundle('node_modules/hono/dist/index.js'),
  '@upstash/redis': await bundle('dist/upstash.js'),
  redis: await bundleForNode('node_modules/redis/dist/index.js'),
  testingServer: await bundle('dist/testing.js'),
  '@opentelemetry/api': await bundle('dist/otel.js'),
}
// A string of the testing kit's server (src/testing/serve.ts) that nothing in the root entry says.
const TESTING_SERVER_MARKER = 'closeAllConnections'

const fromPackage = (inputs, name) => inputs.filter((p) => p.includes(`node_modules/${name}/`))
check(fromPackage(rootBundle.inputs, 'jose').length > 0, 'the root bundle includes jose (nothing left external)')
for (const [name, marker] of Object.entries(MARKERS)) {
  check(controls[name].text.includes(marker), `marker "${marker}" is found in a bundle that includes ${name}`)
  check(fromPackage(rootBundle.inputs, name).length === 0, `the root bundle has no input from ${name}`)
  check(!rootBundle.text.includes(marker), `the root bundle has no "${marker}" (${name})`)
}
for (const module of SUBPATH_MODULES) {
  check(!rootBundle.inputs.includes(module), `the root bundle does not include ${module}`)
}
check(
  controls.testingServer.inputs.includes('dist/testing/serve.js') &&
    controls.testingServer.text.includes(TESTING_SERVER_MARKER),
  `caracal-fetch/testing bundles its server, marker "${TESTING_SERVER_MARKER}" found`,
)
check(
  !rootBundle.text.includes(TESTING_SERVER_MARKER),
  `the root bundle has no "${TESTING_SERVER_MARKER}" (testing server)`,
)
check(subpaths[0].inputs.includes('dist/hono.js'), 'caracal-fetch/hono bundles on its own')
check(fromPackage(subpaths[0].inputs, 'hono').length === 0, 'caracal-fetch/hono adds no hono code (hono/http-exception stays external, like hono)')
check(subpaths[1].inputs.includes('dist/stores/upstash.js'), 'caracal-fetch/upstash bundles on its own')
check(
  controls['@upstash/redis'].inputs.some((p) => p.includes('node_modules/@upstash/redis/')),
  'caracal-fetch/upstash reaches @upstash/redis',
)

check(subpaths[3].inputs.includes('dist/mcp/json-rpc.js'), 'caracal-fetch/mcp bundles on its own')
const isFeedModule = (p) => p === 'dist/feed.js' || p.startsWith('dist/feed/')
for (const b of subpaths) {
  check(!b.inputs.some(isFeedModule), `${b.entry} pulls in no feed module`)
}
check(feedBundle.inputs.includes('dist/feed/feed.js'), 'caracal-fetch/feed bundles on its own')
for (const name of ['redis', '@redis/client', '@upstash/redis']) {
  check(fromPackage(feedBundle.inputs, name).length === 0, `caracal-fetch/feed bundles no ${name} code`)
}
for (const name of ['redis', '@upstash/redis']) {
  check(!feedBundle.text.includes(MARKERS[name]), `caracal-fetch/feed has no "${MARKERS[name]}" (${name})`)
}
check(subpaths[4].inputs.includes('dist/otel.js'), 'caracal-fetch/otel bundles on its own')
check(
  fromPackage(subpaths[4].inputs, '@opentelemetry/api').length === 0,
  'caracal-fetch/otel leaves @opentelemetry/api to the app',
)
check(
  fromPackage(controls['@opentelemetry/api'].inputs, '@opentelemetry/api').length > 0,
  'caracal-fetch/otel reaches @opentelemetry/api',
)
// The observation hooks' names reach the root (they are options); the span names must not.
check(!rootBundle.text.includes('caracal.verify'), 'the root bundle has no span names (caracal-fetch/otel only)')

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
const rows = [
  ['`caracal-fetch` (root, jose included)', rootBundle],
  ['`caracal-fetch/hono` (with the core; hono external)', subpaths[0]],
  ['`caracal-fetch/upstash` (@upstash/redis external)', subpaths[1]],
  ['`caracal-fetch/cloudflare-kv`', subpaths[2]],
  ['`caracal-fetch/mcp` (with the core)', subpaths[3]],
  ['`caracal-fetch/feed` (no Redis client: `redis` is loaded at run time)', feedBundle],
  ['`caracal-fetch/otel` (@opentelemetry/api external)', subpaths[4]],
]
const table = [
  '| entry | minified | gzipped |',
  '|---|---:|---:|',
  ...rows.map(([name, b]) => `| ${name} | ${kib(b.minified)} (${b.minified} B) | ${kib(b.gzipped)} (${b.gzipped} B) |`),
].join('\n')
process.stdout.write(`\n${table}\n\n`)
process.stdout.write(
  `root bundle: ${rootBundle.minified} B minified, ${rootBundle.gzipped} B gzipped (esbuild, platform neutral, es2022)\n`,
)

const docs = process.argv.indexOf('--write-docs')
if (docs !== -1) {
  const file = process.argv[docs + 1]
  const text = readFileSync(file, 'utf8')
  const block = /(<!-- bundle-sizes:start -->)[\s\S]*?(<!-- bundle-sizes:end -->)/
  if (!block.test(text)) throw new Error(`${file} has no bundle-sizes markers`)
  writeFileSync(file, text.replace(block, `$1\n${table}\n$2`))
  process.stdout.write(`sizes written to ${file}\n`)
}

process.stdout.write(`bundle: ${passed} passed, ${failed} failed, 0 skipped\n`)
process.exit(failed > 0 ? 1 : 0)
