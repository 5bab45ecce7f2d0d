/**
 * The authenticate pipeline once warm: no key fetch, one store lookup per request with every
 * anchor, revocation seen on the very next request, and a synchronous answer when it can be.
 */
import { describe, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal } from '../../../src/index.js'
import { createDevIssuer } from '../../../src/testing.js'
import { DEV_ZONE, bearerRequest, trusting } from '../../support/fixture.js'

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
