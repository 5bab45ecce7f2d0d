// The first request of a fresh withCaracal on Workers, with the zone JWKS already in the Cache API
// (`jwksCache`'s default) and without it, relative to a warm uncached verification. Runs real
// workerd through Miniflare; run by `npm run bench -- --only=workerd-jwks-cache`.
//
// Clocks inside workerd only move on I/O, so every request is timed from Node, end to end over
// loopback HTTP: all variants pay the same request overhead, which a bare handler's latency shows.
// A fresh instance is a new withCaracal (its own JwksCache, keys imported anew), as a new isolate
// has; module start-up of a real new isolate is not included. Two reference rows bound the result:
// a fresh instance given its keys in the `jwks` option (no I/O at all: what instance start-up,
// key import and the first verification cost), and a handler that only reads the persisted entry
// from the Cache API (what that one read costs here, the floor of any Cache-API-backed first request).
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'

const WORKER = `
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
const ok = () => new Response('ok')
const options = (env, extra) => ({
  issuer: env.ISSUER, zoneId: env.ZONE, audience: env.AUDIENCE,
  revocations: new MemoryRevocationStore(), mandateCache: false, ...extra,
})
const readEntry = async (key) => {
  const hit = await caches.default.match(new Request(key))
  if (hit === undefined) throw new Error('no Cache API entry at ' + key)
  await hit.text()
}
const extraOptions = (route, env) =>
  route === 'fresh-no-cache' ? { jwksCache: false } : route === 'fresh-static' ? { jwks: JSON.parse(env.JWKS) } : {}
let warm
const fresh = new Map()
export default {
  fetch(request, env, ctx) {
    const [, route, id] = new URL(request.url).pathname.split('/')
    if (route === 'bare') return ok()
    if (route === 'cache-read-only') return readEntry(env.ENTRY_KEY).then(ok)
    if (route === 'warm') return (warm ??= withCaracal(ok, options(env, {})))(request, env, ctx)
    let handler = fresh.get(route + '/' + id)
    if (handler === undefined) {
      handler = withCaracal(ok, options(env, extraOptions(route, env)))
      fresh.set(route + '/' + id, handler)
    }
    return handler(request, env, ctx)
  },
}
`

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * @param {{ build: Function, root: string, issuer: string, zoneId: string, audience: string,
 *   jwks: object, token: string, quick: boolean, jwksRequests: () => number }} bench what bench/run.mjs set up
 * @returns {Promise<{ problems: string[], markdown: string[] }>} problems found, and the report
 */
export async function benchWorkerdJwksCache({
  build,
  root,
  issuer,
  zoneId,
  audience,
  jwks,
  token,
  quick,
  jwksRequests,
}) {
  const problems = []
  // The key the default store writes under (internal to the package, read from the build).
  const { jwksUrl } = await import('../dist/verify/jwks-download.js')
  const { persistedKey } = await import('../dist/verify/jwks-persistence.js')
  const bundle = await build({
    stdin: { contents: WORKER, resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    write: false,
    logLevel: 'error',
  })
  // This Miniflare takes its options in the v4 shape through its own converter.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [
        {
          name: 'bench',
          modules: true,
          script: bundle.outputFiles[0].text,
          compatibilityDate: '2026-08-01',
          bindings: {
            ISSUER: issuer,
            ZONE: zoneId,
            AUDIENCE: audience,
            JWKS: JSON.stringify(jwks),
            ENTRY_KEY: persistedKey(jwksUrl(issuer, zoneId)),
          },
        },
      ],
    }),
  )
  try {
    const headers = { authorization: `Bearer ${token}` }
    // Straight to workerd's own HTTP socket (dispatchFetch adds a proxy hop of several ms).
    const origin = (await mf.ready).origin
    const timed = async (path) => {
      const t = performance.now()
      const res = await fetch(`${origin}${path}`, { headers })
      await res.arrayBuffer()
      const ms = performance.now() - t
      if (res.status !== 200) problems.push(`workerd ${path}: status ${res.status}`)
      return ms
    }
    // Warm-up: the warm handler's keys, and the Cache API entry every fresh instance will find.
    for (let i = 0; i < 20; i++) await timed('/warm/x')
    await timed('/fresh/warm-up')
    const samples = { bare: [], warm: [], fresh: [], freshNoCache: [], freshStatic: [], cacheReadOnly: [] }
    const rounds = quick ? 5 : 41
    for (let round = 0; round < rounds; round++) {
      // Interleaved, so the machine's slow spells fall on every variant alike.
      for (let i = 0; i < 3; i++) samples.bare.push(await timed('/bare/x'))
      for (let i = 0; i < 3; i++) samples.warm.push(await timed('/warm/x'))
      const before = jwksRequests()
      samples.fresh.push(await timed(`/fresh/${round}`))
      if (jwksRequests() !== before)
        problems.push(`workerd /fresh/${round}: fetched the JWKS despite the Cache API entry`)
      samples.freshNoCache.push(await timed(`/fresh-no-cache/${round}`))
      samples.freshStatic.push(await timed(`/fresh-static/${round}`))
      samples.cacheReadOnly.push(await timed('/cache-read-only/x'))
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
    const row = (label, ms) => `| ${label} | ${(ms / m.warm).toFixed(2)} | +${(ms - m.warm).toFixed(2)} ms |`
    const markdown = [
      `Median end-to-end latency over loopback (${rounds} interleaved rounds): bare handler ${m.bare.toFixed(2)} ms,`,
      `warm uncached verification (\`mandateCache: false\`, keys imported) ${m.warm.toFixed(2)} ms.`,
      '',
      '| first request of a fresh instance | end to end, / warm uncached verification | added latency | target |',
      '|---|---|---|---|',
      `${row('keys in the Cache API (`jwksCache` default)', m.fresh)} <= 1.5 |`,
      `${row('`jwksCache: false` (pays one JWKS fetch from a loopback issuer)', m.freshNoCache)} - |`,
      `${row('reference: keys given in the `jwks` option (no I/O)', m.freshStatic)} - |`,
      `${row('reference: a handler that only reads the Cache API entry', m.cacheReadOnly)} - |`,
      '',
    ]
    process.stdout.write(`\n${markdown.join('\n')}`)
    return { problems, markdown }
  } finally {
    await mf.dispose()
  }
}
