// In-process micro-benchmarks, run in Node, Bun and Deno alike. Prints one line `RESULT <json>`.
// Usage: <runtime> bench/micro.mjs <fixture.json> [--quick]
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { primitive } from '#signature'
import { base64url, createLocalJWKSet, importJWK, jwtVerify } from 'jose'

const args = globalThis.Deno?.args ?? process.argv.slice(2)
const quick = args.includes('--quick')
// Only the first-request figures (`npm run bench -- --only=cold-start`).
const coldStartOnly = args.includes('--cold-start-only')
const fixturePath = args[0]
const fixture = JSON.parse(
  globalThis.Deno
    ? await Deno.readTextFile(fixturePath)
    : await (await import('node:fs/promises')).readFile(fixturePath, 'utf8'),
)
const token = fixture.tokens[0]
const [h, p, s] = token.split('.')
const data = new TextEncoder().encode(`${h}.${p}`)
const signature = base64url.decode(s)
const jwk = fixture.jwks.keys[0]
const cryptoKey = await importJWK(jwk, 'ES256')
let nodeCrypto
try {
  nodeCrypto = await import('node:crypto')
} catch {
  nodeCrypto = undefined
}
const keyObject = nodeCrypto?.createPublicKey({ key: jwk, format: 'jwk' })
const constant = new Response(null, { status: 204 })
const base = { audience: fixture.audience, issuer: fixture.issuer, zoneId: fixture.zoneId, jwks: fixture.jwks }
const uncached = withCaracal(() => constant, { ...base, revocations: new MemoryRevocationStore(), mandateCache: false })
const cached = withCaracal(() => constant, { ...base, revocations: new MemoryRevocationStore() })
const request = new Request('http://127.0.0.1/x', { headers: { authorization: `Bearer ${token}` } })
const localJwks = createLocalJWKSet(fixture.jwks)
const store = new MemoryRevocationStore()
for (let i = 0; i < 1000; i++) store.markRevoked(`other-${i}`)
const anchors = ['sid-a', 'root-a', 'agent-a']

async function expectStatus(handler, status) {
  const res = await handler(request)
  if (res.status !== status) throw new Error(`bench setup: expected ${status}, got ${res.status}`)
}
await expectStatus(uncached, 204)
await expectStatus(cached, 204)

const cases = {
  'webcrypto verify': () => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, cryptoKey, signature, data),
  ...(nodeCrypto && {
    'node:crypto verify': () =>
      nodeCrypto.verify('sha256', data, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature),
    'node:crypto verify (async)': () =>
      new Promise((resolve, reject) =>
        nodeCrypto.verify('sha256', data, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature, (e, ok) =>
          e ? reject(e) : resolve(ok),
        ),
      ),
  }),
  'caracal verify (uncached)': () => uncached(request),
  'caracal verify (cache hit)': () => cached(request),
  'jose jwtVerify (local JWKS)': () =>
    jwtVerify(token, localJwks, { issuer: fixture.issuer, audience: fixture.audience }),
  'memory store lookup': () => store.lookup(anchors, 'zone'),
}
const expensive = new Set([
  'webcrypto verify',
  'node:crypto verify',
  'node:crypto verify (async)',
  'caracal verify (uncached)',
  'jose jwtVerify (local JWKS)',
])

// Sequential: one call at a time (latency). Concurrent: CONCURRENCY calls in flight, as a loaded
// server has (throughput; asynchronous primitives then use other cores). Both in ns per call.
const CONCURRENCY = 16
async function batch(fn, n, concurrent) {
  const t = performance.now()
  if (concurrent) {
    const lanes = Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < n / CONCURRENCY; i++) await fn()
    })
    await Promise.all(lanes)
  } else {
    for (let i = 0; i < n; i++) await fn()
  }
  return ((performance.now() - t) * 1e6) / n
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rounds = coldStartOnly ? 0 : quick ? 1 : 11
const samples = { sequential: {}, concurrent: {} }
for (const mode of Object.keys(samples)) for (const k of Object.keys(cases)) samples[mode][k] = []
if (!coldStartOnly) {
  for (const [name, fn] of Object.entries(cases)) await batch(fn, expensive.has(name) ? 256 : 4096, false) // warm-up
}
// Interleaved: every round measures every case once in each mode, so drift hits all of them alike.
for (let r = 0; r < rounds; r++) {
  for (const mode of Object.keys(samples)) {
    for (const [name, fn] of Object.entries(cases)) {
      const n = quick ? 64 : expensive.has(name) ? 1536 : 49_152
      samples[mode][name].push(await batch(fn, n, mode === 'concurrent'))
    }
  }
}
const nsPerOp = Object.fromEntries(
  Object.entries(samples).map(([mode, byCase]) => [
    mode,
    Object.fromEntries(Object.entries(byCase).map(([k, v]) => [k, median(v)])),
  ]),
)

// Cold start: a fresh verifier's first request pays one JWKS fetch from a loopback server; with
// `jwksCache` holding what an earlier instance fetched, it reads the keys there instead (an
// in-memory store: the figure is the cost of reading, checking and importing them, no store I/O).
let coldStart
if (fixture.liveIssuer) {
  const live = { ...base, issuer: fixture.liveIssuer, jwks: undefined }
  const liveToken = fixture.liveToken
  const liveRequest = () => new Request('http://127.0.0.1/x', { headers: { authorization: `Bearer ${liveToken}` } })
  const entries = new Map()
  const jwksStore = { get: (key) => entries.get(key) ?? null, put: (key, value) => void entries.set(key, value) }
  const fresh = (extra) =>
    withCaracal(() => constant, { ...live, revocations: new MemoryRevocationStore(), mandateCache: false, ...extra })
  const timed = async (handler, what) => {
    const t = performance.now()
    if ((await handler(liveRequest())).status !== 204) throw new Error(`${what} request failed`)
    return performance.now() - t
  }
  await fresh({ jwksCache: jwksStore })(liveRequest()) // fills the store
  const cold = []
  const afterWarmup = []
  const warm = []
  const persisted = []
  for (let i = 0; i < (quick ? 2 : 15); i++) {
    const a = fresh({})
    cold.push(await timed(a, 'cold start'))
    warm.push(await timed(a, 'warm'))
    const b = fresh({})
    await b.warmup()
    afterWarmup.push(await timed(b, 'after warmup'))
    persisted.push(await timed(fresh({ jwksCache: jwksStore }), 'persisted JWKS'))
  }
  coldStart = {
    coldMs: median(cold),
    afterWarmupMs: median(afterWarmup),
    warmMs: median(warm),
    persistedMs: median(persisted),
  }
}

const runtime = globalThis.Bun
  ? `bun ${Bun.version}`
  : globalThis.Deno
    ? `deno ${Deno.version.deno}`
    : `node ${process.versions.node}`
console.log(`RESULT ${JSON.stringify({ runtime, primitive: primitive.name, nsPerOp, samples, coldStart })}`)
