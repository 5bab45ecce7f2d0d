import { afterEach, describe, expect, test, vi } from 'vitest'
import { getMandate, MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { createDevIssuer } from '../../../src/testing.js'
import { AUDIENCE, DEV_ZONE, bearerRequest, trusting } from '../../support/fixture.js'

afterEach(() => {
  vi.unstubAllEnvs()
  vi.unstubAllGlobals()
})

async function setup() {
  const dev = await createDevIssuer(DEV_ZONE)
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
  const req = (token: string) => bearerRequest(token)
  return {
    dev,
    memory,
    req,
    options: { ...trusting(dev), fetch, revocations: store },
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

describe('frozen claim lists, shared by content across mandates', () => {
  test('every mandate sees exactly its own lists, past the bound of the sharing table and for lists a plain join would confuse', async () => {
    const s = await setup()
    const h = withCaracal(
      (request) => {
        const m = getMandate(request)
        return Response.json({ scopes: m.scopes, targets: m.targets, aud: m.audience, raw: m.claims['target'] })
      },
      { ...s.options, mandateCache: false },
    )
    const lists: { scope: string; target: string[] }[] = [
      { scope: 'a b', target: ['ab', 'c'] },
      { scope: 'ab', target: ['a', 'bc'] },
      { scope: 'a  b', target: ['1:a', 'b'] },
      { scope: '', target: ['1:a1:b'] },
    ]
    // More distinct lists than the table holds (1024), then the first ones again.
    for (let i = 0; i < 1100; i++) lists.push({ scope: `read:${i} common`, target: [`t${i}`, 'shared'] })
    lists.push(...lists.slice(0, 8))
    for (const { scope, target } of lists) {
      const res = await h(s.req(await s.dev.mint({ scope, target })))
      expect(res.status).toBe(200)
      const body = (await res.json()) as Record<string, unknown>
      expect(body).toEqual({
        scopes: scope.split(/\s+/).filter(Boolean),
        targets: target,
        aud: [AUDIENCE],
        raw: target,
      })
    }
  })

  test('a handler cannot change what the next request with the same claims sees', async () => {
    const s = await setup()
    const seen: ReturnType<typeof getMandate>[] = []
    const h = withCaracal((request) => {
      const m = getMandate(request)
      seen.push(m)
      expect(() => (m.scopes as string[]).push('admin')).toThrow(TypeError)
      expect(() => ((m.claims['aud'] as string[])[0] = 'x')).toThrow(TypeError)
      return new Response('ok')
    }, s.options)
    for (let i = 0; i < 2; i++) expect((await h(s.req(await s.dev.mint({ scope: 'billing:read' })))).status).toBe(200)
    expect(seen.map((m) => [...m.scopes])).toEqual([['billing:read'], ['billing:read']])
    expect(seen.map((m) => [...m.audience])).toEqual([[AUDIENCE], [AUDIENCE]])
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
