import { afterEach, describe, expect, test, vi } from 'vitest'
import { getMandate, MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { createDevIssuer, type DevIssuer } from '../../../src/testing.js'
import { CompactSign, exportJWK, generateKeyPair } from 'jose'
import { jwksUrl } from '../../../src/verify/jwks.js'
import { signatureCalls } from '../../support/counting-signature.js'

// Count signature verifications: a cache hit must not reach the primitive.
vi.mock('#signature', () => import('../../support/counting-signature.js'))

const AUDIENCE = 'resource://billing-api'

afterEach(() => {
  vi.unstubAllEnvs()
  vi.unstubAllGlobals()
})

/** `count` dev issuers, zone `zone-<i>` of issuer `https://sts-<i % issuers>.example`, and one fetch serving them all, counted per URL. */
async function zones(count: number, issuers = 1) {
  const devs: DevIssuer[] = []
  for (let i = 0; i < count; i++) {
    devs.push(
      await createDevIssuer({ issuer: `https://sts-${i % issuers}.example`, zoneId: `zone-${i}`, audience: AUDIENCE }),
    )
  }
  const byUrl = new Map(devs.map((dev) => [jwksUrl(dev.issuer, dev.zoneId), dev]))
  const fetchesOf = new Map<string, number>()
  const fetch = async (input: string, init: RequestInit) => {
    fetchesOf.set(input, (fetchesOf.get(input) ?? 0) + 1)
    const dev = byUrl.get(input)
    return dev === undefined ? new Response('not found', { status: 404 }) : dev.fetch(input, init)
  }
  const fetches = () => [...fetchesOf.values()].reduce((a, b) => a + b, 0)
  return { devs, fetch, fetches, fetchesOf }
}

function protect(options: Partial<CaracalOptions> & Pick<CaracalOptions, 'fetch'>) {
  const seen: { issuer: string; zoneId: string }[] = []
  const handler = withCaracal(
    (request) => {
      const { issuer, zoneId } = getMandate(request)
      seen.push({ issuer, zoneId })
      return new Response('ok')
    },
    { audience: AUDIENCE, revocations: new MemoryRevocationStore(), ...options },
  )
  /** Status and error code of a request with `token`. */
  const send = async (token: string) => {
    const response = await handler(
      new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } }),
    )
    const error = response.status === 200 ? undefined : ((await response.json()) as { error: string }).error
    return { status: response.status, error }
  }
  return { handler, send, seen }
}

const trustOf = (devs: readonly DevIssuer[]) => devs.map(({ issuer, zoneId }) => ({ issuer, zoneId }))
const OK = { status: 200, error: undefined }

describe('trust: several issuer+zone pairs', () => {
  test('two zones of two issuers: each token is verified with its own zone’s keys, and getMandate names that zone', async () => {
    const { devs, fetch, fetchesOf } = await zones(2, 2)
    const [a, b] = devs as [DevIssuer, DevIssuer]
    const { send, seen } = protect({ trust: trustOf(devs), fetch })
    expect(await send(await a.mint())).toEqual(OK)
    expect(await send(await b.mint())).toEqual(OK)
    expect(seen).toEqual([
      { issuer: a.issuer, zoneId: a.zoneId },
      { issuer: b.issuer, zoneId: b.zoneId },
    ])
    expect([...fetchesOf.entries()]).toEqual([
      [jwksUrl(a.issuer, a.zoneId), 1],
      [jwksUrl(b.issuer, b.zoneId), 1],
    ])
  })

  test('a token of zone A made to claim zone B is refused, however it is made', async () => {
    const { devs, fetch } = await zones(2)
    const [a, b] = devs as [DevIssuer, DevIssuer]
    const { send, seen } = protect({ trust: trustOf(devs), fetch })
    // A's genuine token with its payload rewritten to name zone B, A's signature kept.
    const [header, payload, signature] = (await a.mint()).split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    const edited = Buffer.from(JSON.stringify({ ...claims, zone_id: b.zoneId })).toString('base64url')
    expect(await send(`${header}.${edited}.${signature}`)).toEqual({ status: 401, error: 'invalid_token' })
    // Signed with A's key, claiming B: under A's kid, and under B's kid.
    expect(await send(await a.mint({ zone_id: b.zoneId }))).toEqual({ status: 401, error: 'invalid_token' })
    expect(await send(await a.mint({ zone_id: b.zoneId }, { header: { kid: b.kid } }))).toEqual({
      status: 401,
      error: 'invalid_token',
    })
    // A token that zone A's keys verify but that names zone B is still refused once A's keys are cached.
    expect(await send(await a.mint())).toEqual(OK)
    expect(await send(await a.mint({ zone_id: b.zoneId }))).toEqual({ status: 401, error: 'invalid_token' })
    expect(await send(await b.mint())).toEqual(OK)
    expect(seen.map((m) => m.zoneId)).toEqual([a.zoneId, b.zoneId])
  })

  test('a token naming no configured pair is refused before any key is fetched', async () => {
    const { devs, fetch, fetches } = await zones(2)
    const [a] = devs as [DevIssuer]
    const stranger = await createDevIssuer({
      issuer: 'https://elsewhere.example',
      zoneId: 'zone-0',
      audience: AUDIENCE,
    })
    const { send } = protect({ trust: trustOf(devs), fetch })
    expect(await send(await stranger.mint())).toEqual({ status: 401, error: 'invalid_token' })
    expect(await send(await a.mint({ zone_id: 'zone-9' }))).toEqual({ status: 401, error: 'invalid_zone' })
    expect(await send(await a.mint({ zone_id: undefined }))).toEqual({ status: 401, error: 'invalid_zone' })
    expect(await send(await a.mint({ zone_id: 0 }))).toEqual({ status: 401, error: 'invalid_zone' })
    expect(await send(await a.mint({ iss: undefined }))).toEqual({ status: 401, error: 'invalid_token' })
    expect(await send(await a.mint({ iss: [a.issuer] }))).toEqual({ status: 401, error: 'invalid_token' })
    expect(await send(`${(await a.mint()).split('.')[0]}.bm90IGpzb24.${'A'.repeat(86)}`)).toEqual({
      status: 401,
      error: 'invalid_token',
    })
    expect(await send('not-a-jws')).toEqual({ status: 401, error: 'invalid_token' })
    expect(fetches()).toBe(0)
  })

  test('the onError reason says which part of the pair is not trusted', async () => {
    const { devs, fetch } = await zones(1)
    const reasons: string[] = []
    const { send } = protect({ trust: trustOf(devs), fetch, onError: (error) => void reasons.push(error.reason) })
    await send(await devs[0]!.mint({ iss: 'https://elsewhere.example' }))
    await send(await devs[0]!.mint({ zone_id: 'zone-9' }))
    expect(reasons).toEqual([
      'claim `iss` "https://elsewhere.example" is not a trusted issuer',
      'claim `zone_id` "zone-9" is not a trusted zone of issuer "https://sts-0.example"',
    ])
  })

  test('1,000 pairs: tokens of every zone, one JWKS fetch per zone, nothing evicted', async () => {
    const { devs, fetch, fetchesOf, fetches } = await zones(1000, 10)
    const { send } = protect({ trust: trustOf(devs), fetch })
    const tokens = await Promise.all(devs.map((dev) => dev.mint()))
    signatureCalls.verifies = 0
    for (const token of tokens) expect(await send(token)).toEqual(OK)
    expect(signatureCalls.verifies).toBe(1000)
    // Again: every mandate from the cache, every zone's keys still cached.
    for (const token of tokens) expect(await send(token)).toEqual(OK)
    expect(signatureCalls.verifies).toBe(1000)
    // New tokens of every zone, in another order: verified with the keys fetched the first time.
    const fresh = await Promise.all([...devs].reverse().map((dev) => dev.mint()))
    for (const token of fresh) expect(await send(token)).toEqual(OK)
    expect(signatureCalls.verifies).toBe(2000)
    expect(fetchesOf.size).toBe(1000)
    expect(fetches()).toBe(1000)
  })

  test('cache isolation: a change of zone B’s keys sends only zone B’s cached mandates back to be verified', async () => {
    const { devs, fetch } = await zones(2)
    const [a, b] = devs as [DevIssuer, DevIssuer]
    const { send } = protect({ trust: trustOf(devs), fetch })
    const tokenA = await a.mint()
    const tokenB = await b.mint()
    expect(await send(tokenA)).toEqual(OK)
    expect(await send(tokenB)).toEqual(OK)
    signatureCalls.verifies = 0
    expect(await send(tokenA)).toEqual(OK)
    expect(await send(tokenB)).toEqual(OK)
    expect(signatureCalls.verifies).toBe(0)
    // Zone B's old key leaves its JWKS: a token of B's new key makes B refetch.
    await b.rotate()
    await b.rotate()
    expect(await send(await b.mint())).toEqual(OK)
    signatureCalls.verifies = 0
    expect(await send(tokenA)).toEqual(OK)
    expect(signatureCalls.verifies).toBe(0)
    expect(await send(tokenB)).toEqual({ status: 401, error: 'invalid_token' })
  })

  test('with one pair, a token of another zone is refused without a fetch', async () => {
    const { devs, fetch, fetches } = await zones(2)
    const { send } = protect({ trust: trustOf(devs.slice(0, 1)), fetch })
    expect(await send(await devs[1]!.mint())).toEqual({ status: 401, error: 'invalid_zone' })
    expect(fetches()).toBe(0)
    expect(await send(await devs[0]!.mint())).toEqual(OK)
  })

  test('a cached mandate of a zone answers synchronously, as with one zone', async () => {
    const { devs, fetch } = await zones(2)
    const response = new Response('ok')
    const handler = withCaracal(() => response, {
      audience: AUDIENCE,
      revocations: new MemoryRevocationStore(),
      trust: trustOf(devs),
      fetch,
    })
    const request = (token: string) =>
      new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } })
    const token = await devs[1]!.mint()
    expect((await handler(request(token))).status).toBe(200)
    expect(handler(request(token))).toBe(response)
  })

  test('warmup() fetches every zone’s keys once', async () => {
    const { devs, fetch, fetchesOf } = await zones(20, 3)
    const { handler, send } = protect({ trust: trustOf(devs), fetch })
    await handler.warmup()
    expect(fetchesOf.size).toBe(20)
    for (const dev of devs) expect(await send(await dev.mint())).toEqual(OK)
    expect([...fetchesOf.values()].every((n) => n === 1)).toBe(true)
  })

  test('warmup() rejects when a zone’s keys cannot be had, after trying every zone', async () => {
    const { devs, fetch, fetchesOf } = await zones(3)
    const trust = [...trustOf(devs), { issuer: 'https://sts-0.example', zoneId: 'zone-missing' }]
    const { handler } = protect({ trust, fetch })
    await expect(handler.warmup()).rejects.toMatchObject({ code: 'temporarily_unavailable' })
    expect(fetchesOf.size).toBe(4)
  })
})

describe('trust: revocation per zone', () => {
  test('the delegation epoch is looked up for the zone of each mandate', async () => {
    const { devs, fetch } = await zones(2)
    const [a, b] = devs as [DevIssuer, DevIssuer]
    const memory = new MemoryRevocationStore()
    const zonesAsked: (string | undefined)[] = []
    const revocations = {
      isRevoked: (anchor: string) => memory.isRevoked(anchor),
      lookup(anchors: readonly string[], zone: string | undefined) {
        zonesAsked.push(zone)
        return memory.lookup(anchors, zone)
      },
    }
    const { send } = protect({ trust: trustOf(devs), fetch, revocations })
    memory.markDelegationEpoch(a.zoneId, 5)
    expect(await send(await a.mint({ delegation_graph_epoch: 3 }))).toEqual({ status: 401, error: 'delegation_stale' })
    expect(await send(await b.mint({ delegation_graph_epoch: 3 }))).toEqual(OK)
    expect(await send(await a.mint({ delegation_graph_epoch: 5 }))).toEqual(OK)
    expect(zonesAsked).toEqual([a.zoneId, b.zoneId, a.zoneId])
    const token = await b.mint({ sid: 'sid-b' })
    expect(await send(token)).toEqual(OK)
    memory.markRevoked('sid-b')
    expect(await send(token)).toEqual({ status: 401, error: 'session_revoked' })
  })
})

describe('trust on Workers', () => {
  const workers = () => vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' })
  const request = (token: string) =>
    new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } })

  test('the env-based single identity works as before', async () => {
    const { devs, fetch } = await zones(1)
    workers()
    const handler = withCaracal(() => new Response('ok'), { revocations: new MemoryRevocationStore(), fetch })
    const env = { CARACAL_STS_URL: devs[0]!.issuer, CARACAL_ZONE_ID: devs[0]!.zoneId, CARACAL_AUDIENCE: AUDIENCE }
    expect((await handler(request(await devs[0]!.mint()), env)).status).toBe(200)
  })

  test('with `trust`, the audience may come from env, and the env issuer and zone are not read', async () => {
    const { devs, fetch, fetches } = await zones(2)
    workers()
    const handler = withCaracal(() => new Response('ok'), {
      revocations: new MemoryRevocationStore(),
      trust: trustOf(devs),
      fetch,
    })
    const env = { CARACAL_AUDIENCE: AUDIENCE, CARACAL_STS_URL: 'https://sts-0.example', CARACAL_ZONE_ID: 'zone-9' }
    for (const dev of devs) expect((await handler(request(await dev.mint()), env)).status).toBe(200)
    expect(fetches()).toBe(2)
    const noAudience = await handler(request(await devs[0]!.mint()), {})
    expect(noAudience.status).toBe(500)
  })
})

describe('trust: claims read twice read the same', () => {
  test('a payload that names `zone_id` twice is picked and verified by its last occurrence alike', async () => {
    const issuer = 'https://sts.example'
    const keys = await Promise.all(
      ['zone-a', 'zone-b'].map(async (zoneId) => {
        const { privateKey, publicKey } = await generateKeyPair('ES256')
        const kid = `kid-${zoneId}`
        return { zoneId, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } }
      }),
    )
    const fetch = async (input: string) => {
      const zone = new URL(input).searchParams.get('zone_id')
      const key = keys.find((k) => k.zoneId === zone)!
      return Response.json({ keys: [key.jwk] }, { headers: { 'cache-control': 'max-age=300' } })
    }
    const { send, seen } = protect({ trust: keys.map(({ zoneId }) => ({ issuer, zoneId })), fetch })
    const now = Math.floor(Date.now() / 1000)
    const claims = JSON.stringify({
      iss: issuer,
      aud: [AUDIENCE],
      iat: now,
      exp: now + 300,
      jti: 'j',
      sub: 's',
      sub_type: 'user',
      client_id: 'c',
      sid: 'sid',
      root_sid: 'root',
      use: 'resource',
    })
    // Signed with zone A's key; the text names both zones, in either order.
    const signed = (first: string, last: string) =>
      new CompactSign(new TextEncoder().encode(`{"zone_id":"${first}",${claims.slice(1, -1)},"zone_id":"${last}"}`))
        .setProtectedHeader({ alg: 'ES256', kid: 'kid-zone-a' })
        .sign(keys[0]!.privateKey)
    expect(await send(await signed('zone-b', 'zone-a'))).toEqual(OK)
    expect(seen).toEqual([{ issuer, zoneId: 'zone-a' }])
    expect(await send(await signed('zone-a', 'zone-b'))).toEqual({ status: 401, error: 'invalid_token' })
  })
})
