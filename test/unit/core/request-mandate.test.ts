/** `revalidate(request)`: expiry and revocation asked again for a verified request's mandate. */
import { expect, test } from 'vitest'
import { Hono } from 'hono'
import {
  MemoryRevocationStore,
  revalidate,
  withCaracal,
  type CaracalError,
  type CaracalOptions,
} from '../../../src/index.js'
import { caracal } from '../../../src/hono.js'
import { createDevIssuer } from '../../../src/testing.js'

async function setup(extra: Partial<CaracalOptions> = {}) {
  const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: 'resource://api' })
  const store = new MemoryRevocationStore()
  const reported: string[] = []
  let clock = Date.now()
  const requests: Request[] = []
  const options: CaracalOptions = {
    audience: 'resource://api',
    issuer: dev.issuer,
    zoneId: dev.zoneId,
    fetch: dev.fetch,
    revocations: store,
    now: () => clock,
    onError: (error) => void reported.push(error.code),
    exclude: ['/healthz'],
    ...extra,
  }
  const handler = withCaracal((request: Request, _env?: unknown) => {
    requests.push(request)
    return new Response('ok')
  }, options)
  /** The request the handler got, for a mandate minted with `claims`. */
  const verified = async (claims: Record<string, unknown> = {}, env?: unknown): Promise<Request> => {
    const token = await dev.mint(claims)
    const response = await handler(
      new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } }),
      env,
    )
    expect(response.status).toBe(200)
    return requests.at(-1)!
  }
  return { dev, store, reported, handler, verified, options, advance: (ms: number) => void (clock += ms) }
}

test('undefined while the mandate stands; session_revoked once an anchor is revoked, reported to onError', async () => {
  const { store, reported, verified } = await setup()
  const request = await verified({ sid: 'sid-1' })
  expect(await revalidate(request)).toBeUndefined()
  store.markRevoked('sid-1')
  const error = (await revalidate(request)) as CaracalError
  expect(error).toMatchObject({ code: 'session_revoked', status: 401 })
  expect(reported).toEqual(['session_revoked'])
})

test('invalid_token once the mandate has expired', async () => {
  const { verified, advance } = await setup()
  const request = await verified({ exp: Math.floor(Date.now() / 1000) + 60 })
  expect(await revalidate(request)).toBeUndefined()
  advance(61_000)
  expect(await revalidate(request)).toMatchObject({ code: 'invalid_token', claim: 'exp' })
})

test('a store that fails: temporarily_unavailable (the caller decides), never a rejection', async () => {
  let fail = false
  const store = new MemoryRevocationStore()
  const failing = {
    isRevoked: (anchor: string) => {
      if (fail) throw new Error('store down')
      return store.isRevoked(anchor)
    },
  }
  const { verified } = await setup({ revocations: failing })
  const request = await verified()
  fail = true
  expect(await revalidate(request)).toMatchObject({ code: 'temporarily_unavailable', status: 503 })
})

test('a request that was never verified: TypeError, as getMandate throws', async () => {
  expect(() => revalidate(new Request('https://api.example/x'))).toThrow(
    /revalidate: this request carries no verified Caracal mandate/,
  )
  let excluded: Request | undefined
  const h = withCaracal((request: Request) => ((excluded = request), new Response('ok')), (await setup()).options)
  await h(new Request('https://api.example/healthz'))
  expect(() => revalidate(excluded!)).toThrow(TypeError)
})

test('a revocation store built from the Workers env is built from the env of the verified request', async () => {
  const stores = new Map<string, MemoryRevocationStore>([
    ['a', new MemoryRevocationStore()],
    ['b', new MemoryRevocationStore()],
  ])
  const { verified } = await setup({ revocations: (env: { TENANT: string }) => stores.get(env.TENANT)! })
  const request = await verified({ sid: 'sid-env' }, { TENANT: 'a' })
  stores.get('b')!.markRevoked('sid-env')
  expect(await revalidate(request)).toBeUndefined()
  stores.get('a')!.markRevoked('sid-env')
  expect(await revalidate(request)).toMatchObject({ code: 'session_revoked' })
})

test('a request the Hono middleware verified revalidates the same way', async () => {
  const { dev, store, options } = await setup()
  const app = new Hono()
  let seen: Request | undefined
  app.use('*', caracal(options))
  app.get('/x', (c) => ((seen = c.req.raw), c.text('ok')))
  const token = await dev.mint({ sid: 'sid-hono' })
  expect((await app.request('/x', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
  expect(await revalidate(seen!)).toBeUndefined()
  store.markRevoked('sid-hono')
  expect(await revalidate(seen!)).toMatchObject({ code: 'session_revoked' })
})
