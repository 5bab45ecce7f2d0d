// Memory held by the verified-mandate cache: heap bytes per cached mandate and for a full default
// cache (at most 10 000 entries and 16 MiB by its own estimate, whichever comes first), in Node,
// from heap deltas with forced garbage collection. Once the cache is full the total stops growing.
// Usage: npm run build && node --expose-gc bench/memory.mjs [--quick] [--small]
//
// The tokens are minted and kept by this script before the baseline, so the delta is what the
// cache itself holds (its own copies of token and header, the verified mandate, the claims).
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc')
const quick = process.argv.includes('--quick')

async function settledHeap() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: 'resource://api' })

/**
 * A mandate shaped like a full Caracal one (every anchor, a delegation epoch, a few scopes), or a
 * small one (one session anchor, one scope) with `--small`.
 */
const small = process.argv.includes('--small')
function mint(i) {
  if (small)
    return dev.mint(
      { sub: `user-${i}`, sid: `sid-${crypto.randomUUID()}`, scope: 'invoices:read' },
      { expiresIn: 3600 },
    )
  return dev.mint(
    {
      sub: `user-${i}`,
      sid: `sid-${crypto.randomUUID()}`,
      root_sid: `root-${crypto.randomUUID()}`,
      agent_session_id: `as-${crypto.randomUUID()}`,
      delegation_edge_id: `edge-${crypto.randomUUID()}`,
      delegation_graph_epoch: 7,
      scope: 'invoices:read invoices:write customers:read',
    },
    { expiresIn: 3600 },
  )
}

/** Heap bytes held once `count` distinct mandates have been verified through one withCaracal. */
async function heldBy(count, mandateCache) {
  const tokens = []
  for (let i = 0; i < count; i++) tokens.push(await mint(i))
  const handler = withCaracal(() => new Response('ok'), {
    audience: dev.audience,
    issuer: dev.issuer,
    zoneId: dev.zoneId,
    jwks: dev.jwks,
    revocations: new MemoryRevocationStore(),
    ...(mandateCache === undefined ? {} : { mandateCache }),
  })
  const call = async (token) => {
    const res = await handler(new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } }))
    if (res.status !== 200) throw new Error(`bench setup: status ${res.status}`)
  }
  await call(await mint(-1)) // keys imported, code warm: the baseline holds all of that already
  const before = await settledHeap()
  for (const token of tokens) await call(token)
  const after = await settledHeap()
  // Every token verified again: a second pass must not grow the heap (hits allocate no entry).
  for (const token of tokens) await call(token)
  const again = await settledHeap()
  return { count, bytes: after - before, secondPass: again - after, keep: [tokens, handler] }
}

const sample = (await mint(0)).length
process.stdout.write(`node ${process.versions.node}, ${small ? 'small' : 'full'} mandates of ${sample} characters\n`)
const runs = []
for (const count of quick ? [500, 2000] : [1000, 5000, 10_000, 20_000]) {
  const r = await heldBy(count)
  runs.push(r)
  process.stdout.write(
    `${count} distinct mandates verified: +${(r.bytes / 1024).toFixed(0)} KiB heap, ` +
      `${(r.bytes / count).toFixed(0)} bytes per mandate verified (per cached one while the cache is not full); second pass ${r.secondPass >= 0 ? '+' : ''}${(r.secondPass / 1024).toFixed(0)} KiB\n`,
  )
  r.keep = undefined
}
const off = await heldBy(quick ? 2000 : 10_000, false)
process.stdout.write(
  `mandateCache: false, ${off.count} distinct mandates verified: ${off.bytes >= 0 ? '+' : ''}${(off.bytes / 1024).toFixed(0)} KiB heap\n`,
)
console.log(
  `RESULT ${JSON.stringify({ node: process.versions.node, tokenChars: sample, runs: runs.map(({ keep, ...r }) => r), cacheOff: { count: off.count, bytes: off.bytes } })}`,
)
