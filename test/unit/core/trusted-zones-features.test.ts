/**
 * `trust` together with the options that are built per identity: the served RFC 9728 document and
 * its challenges (per audience, naming every trusted issuer), the persisted JWKS (`jwksCache`, one
 * entry per zone), the Gateway's identity header and `revalidate`.
 */
import { describe, expect, test } from 'vitest'
import { MemoryRevocationStore, revalidate, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { createDevIssuer, type DevIssuer } from '../../../src/testing.js'
import { jwksUrl } from '../../../src/verify/jwks.js'
import { persistedKey, type JwksStore } from '../../../src/verify/jwks-persistence.js'

const AUDIENCE = 'https://mcp.example.com/mcp'
const METADATA_URL = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'

/** Zone `zone-<i>` of issuer `https://sts-<i % 2>.example`, and one fetch serving them all, counted. */
async function zones(count: number) {
  const devs: DevIssuer[] = []
  for (let i = 0; i < count; i++) {
    devs.push(
      await createDevIssuer({ issuer: `https://sts-${i % 2}.example`, zoneId: `zone-${i}`, audience: AUDIENCE }),
    )
  }
  const byUrl = new Map(devs.map((dev) => [jwksUrl(dev.issuer, dev.zoneId), dev]))
  const counter = { fetches: 0 }
  const fetch = async (input: string, init: RequestInit) => {
    counter.fetches++
    const dev = byUrl.get(input)
    return dev === undefined ? new Response('not found', { status: 404 }) : dev.fetch(input, init)
  }
  const trust = devs.map(({ issuer, zoneId }) => ({ issuer, zoneId }))
  return { devs, fetch, trust, counter }
}

function protect(options: Partial<CaracalOptions>) {
  return withCaracal(() => new Response('ok'), {
    audience: AUDIENCE,
    revocations: new MemoryRevocationStore(),
    ...options,
  })
}

const bearer = (token: string, path = '/mcp') =>
  new Request(`https://mcp.example.com${path}`, { headers: { authorization: `Bearer ${token}` } })

describe('trust with a served resourceMetadata', () => {
  test('the document names every trusted issuer once; challenges point at it; tokens of each zone pass', async () => {
    const { devs, fetch, trust } = await zones(3)
    const handler = protect({ trust, fetch, resourceMetadata: { resourceName: 'Billing MCP' } })

    const served = await handler(new Request(METADATA_URL))
    expect(served.status).toBe(200)
    expect(await served.json()).toEqual({
      resource: AUDIENCE,
      authorization_servers: ['https://sts-0.example', 'https://sts-1.example'],
      bearer_methods_supported: ['header'],
      resource_name: 'Billing MCP',
    })

    const missing = await handler(new Request('https://mcp.example.com/mcp'))
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toContain(`resource_metadata="${METADATA_URL}"`)

    // A token of a zone not trusted is refused with the same challenge.
    const stranger = await createDevIssuer({ issuer: 'https://sts-0.example', zoneId: 'zone-x', audience: AUDIENCE })
    const refused = await handler(bearer(await stranger.mint()))
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_zone')
    expect(refused.headers.get('www-authenticate')).toContain(`resource_metadata="${METADATA_URL}"`)

    for (const dev of devs) expect((await handler(bearer(await dev.mint()))).status).toBe(200)
  })

  test('authorizationServers, when given, replaces the trusted issuers in the document', async () => {
    const { fetch, trust } = await zones(2)
    const handler = protect({ trust, fetch, resourceMetadata: { authorizationServers: ['https://as.example.com'] } })
    const document = (await (await handler(new Request(METADATA_URL))).json()) as Record<string, unknown>
    expect(document.authorization_servers).toEqual(['https://as.example.com'])
  })

  test('an audience that is not a URL is a TypeError at construction, as with one zone', async () => {
    const { fetch, trust } = await zones(1)
    expect(() => protect({ trust, fetch, audience: 'resource://billing', resourceMetadata: {} })).toThrow(TypeError)
  })
})

describe('trust with jwksCache', () => {
  test('each zone’s keys are persisted under its own key and read back by a fresh wrapper, no fetch', async () => {
    const { devs, fetch, trust, counter } = await zones(3)
    const entries = new Map<string, string>()
    const store: JwksStore = {
      get: (key) => entries.get(key) ?? null,
      put: (key, value) => void entries.set(key, value),
    }
    const first = protect({ trust, fetch, jwksCache: store })
    for (const dev of devs) expect((await first(bearer(await dev.mint()))).status).toBe(200)
    expect(counter.fetches).toBe(3)
    expect([...entries.keys()].sort()).toEqual(devs.map((dev) => persistedKey(jwksUrl(dev.issuer, dev.zoneId))).sort())

    const second = protect({ trust, fetch, jwksCache: store })
    for (const dev of devs) expect((await second(bearer(await dev.mint()))).status).toBe(200)
    expect(counter.fetches).toBe(3)
  })
})

describe('trust with identityHeader and revalidate', () => {
  test('a mandate in the identity header is verified by its zone; revalidate sees it revoked', async () => {
    const { devs, fetch, trust } = await zones(2)
    const revocations = new MemoryRevocationStore()
    const seen: Request[] = []
    const handler = withCaracal(
      (request) => {
        seen.push(request)
        return new Response('ok')
      },
      { audience: AUDIENCE, revocations, trust, fetch, identityHeader: 'x-caracal-identity' },
    )
    const dev = devs[1]!
    const token = await dev.mint({ sid: 'session-1' })
    const request = new Request('https://mcp.example.com/mcp', {
      headers: { 'x-caracal-identity': token, authorization: 'Bearer provider-key' },
    })
    expect((await handler(request)).status).toBe(200)
    expect(await revalidate(seen[0]!)).toBeUndefined()
    revocations.markRevoked('session-1')
    expect(await revalidate(seen[0]!)).toMatchObject({ code: 'session_revoked', status: 401 })
  })
})

describe('trust with onVerified', () => {
  test('the observed path verifies by the claimed zone and reports the cache hit of a repeated token', async () => {
    const { devs, fetch, trust } = await zones(2)
    const hits: { zoneId: string; cacheHit: boolean }[] = []
    const handler = protect({
      trust,
      fetch,
      onVerified: (mandate, _request, timings) =>
        void hits.push({ zoneId: mandate.zoneId, cacheHit: timings.cacheHit }),
    })
    const token = await devs[1]!.mint()
    expect((await handler(bearer(token))).status).toBe(200)
    expect((await handler(bearer(token))).status).toBe(200)
    expect(hits).toEqual([
      { zoneId: 'zone-1', cacheHit: false },
      { zoneId: 'zone-1', cacheHit: true },
    ])
  })
})
