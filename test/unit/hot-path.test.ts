import { afterEach, describe, expect, test, vi } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../src/index.js'
import { createDevIssuer } from '../../src/testing.js'

const AUDIENCE = 'resource://billing-api'

afterEach(() => {
  vi.unstubAllEnvs()
  vi.unstubAllGlobals()
})

async function setup() {
  const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
  let fetches = 0
  const fetch = (input: string, init: RequestInit) => {
    fetches++
    return dev.fetch(input, init)
  }
  const memory = new MemoryRevocationStore()
  let lookups = 0
  let anchorsSeen: readonly string[] = []
  // The memory store's own batch interface, counted.
  const store = {
    isRevoked: (anchor: string) => memory.isRevoked(anchor),
    lookup(anchors: readonly string[], zone: string | undefined) {
      lookups++
      anchorsSeen = anchors
      return memory.lookup(anchors, zone)
    },
  }
  const req = (token: string) => new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } })
  return {
    dev,
    memory,
    req,
    options: { audience: AUDIENCE, issuer: dev.issuer, zoneId: dev.zoneId, fetch, revocations: store },
    fetches: () => fetches,
    lookups: () => lookups,
    anchorsSeen: () => anchorsSeen,
  }
}

describe('the hot path after warm-up', () => {
  test('no key fetch, one store lookup per request with every anchor, and revocation on the very next request', async () => {
    const s = await setup()
    const h = withCaracal(() => new Response('ok'), s.options)
    await h.warmup()
    expect(s.fetches()).toBe(1)
    const token = await s.dev.mint({ agent_session_id: 'agent-1', delegation_edge_id: 'edge-1', sid: 'sid-1' })
    for (let i = 0; i < 5; i++) expect((await h(s.req(token))).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await h(s.req(await s.dev.mint()))).status).toBe(200)
    expect(s.fetches()).toBe(1)
    expect(s.lookups()).toBe(10)
    const last = s.anchorsSeen()
    expect(last.length).toBeGreaterThanOrEqual(2)
    s.memory.markRevoked('edge-1')
    expect((await h(s.req(token))).status).toBe(401)
    expect(s.anchorsSeen()).toEqual(expect.arrayContaining(['sid-1', 'agent-1', 'edge-1']))
  })

  test('a cached mandate with a synchronous store answers synchronously: the handler’s own Response, no promise', async () => {
    const s = await setup()
    const response = new Response('ok')
    const h = withCaracal(() => response, s.options)
    const token = await s.dev.mint()
    expect((await h(s.req(token))).status).toBe(200) // first sight: verified asynchronously, then cached
    const again = h(s.req(token))
    expect(again).toBe(response)
  })
})

describe('where issuer, zone and audience come from, in order', () => {
  test('on Workers the per-request env wins over process.env; options win over both', async () => {
    const s = await setup()
    vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' })
    vi.stubEnv('CARACAL_ZONE_ID', 'zone-from-process-env')
    const fromEnv = withCaracal(() => new Response('ok'), { ...s.options, zoneId: undefined } as CaracalOptions)
    expect((await fromEnv(s.req(await s.dev.mint()), { CARACAL_ZONE_ID: 'zone-a' })).status).toBe(200)
    const other = await fromEnv(s.req(await s.dev.mint()), { CARACAL_ZONE_ID: 'zone-b' })
    // zone-b's keys are asked for (the dev STS has none: 404), so the zone really came from this env.
    expect(other.status).toBe(503)
    const fromOptions = withCaracal(() => new Response('ok'), s.options)
    expect((await fromOptions(s.req(await s.dev.mint()), { CARACAL_ZONE_ID: 'zone-b' })).status).toBe(200)
  })

  test('process.env wins over Deno.env', async () => {
    const s = await setup()
    vi.stubEnv('CARACAL_ZONE_ID', 'zone-a')
    vi.stubGlobal('Deno', { env: { get: () => 'zone-from-deno' } })
    const h = withCaracal(() => new Response('ok'), { ...s.options, zoneId: undefined } as CaracalOptions)
    expect((await h(s.req(await s.dev.mint()))).status).toBe(200)
  })
})
