import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import { caracal, requireMandate, requireScopes, type CaracalVariables } from '../../src/hono.js'
import {
  MemoryRevocationStore,
  getMandate,
  withCaracal,
  type CaracalError,
  type CaracalOptions,
} from '../../src/index.js'
import { createDevIssuer, type DevIssuer } from '../../src/testing.js'
import { DEV_ZONE, trusting } from '../support/fixture.js'
import { typeErrorsOf } from '../support/type-errors.js'

const ORIGIN = 'http://localhost'

async function setup(extra: Partial<CaracalOptions> = {}) {
  const dev = await createDevIssuer(DEV_ZONE)
  const store = new MemoryRevocationStore()
  let lookups = 0
  const counting = {
    isRevoked: (anchor: string) => {
      lookups++
      return store.isRevoked(anchor)
    },
  }
  const options: CaracalOptions = { ...trusting(dev), revocations: counting, ...extra }
  return { dev, store, options, lookups: () => lookups }
}

interface Answer {
  status: number
  body: string
  contentType: string | null
  challenge: string | null
  retryAfter: string | null
}

async function answer(res: Response): Promise<Answer> {
  return {
    status: res.status,
    body: await res.text(),
    contentType: res.headers.get('content-type'),
    challenge: res.headers.get('www-authenticate'),
    retryAfter: res.headers.get('retry-after'),
  }
}

/** One request sent to both adapters configured alike; returns both answers. */
async function both(
  options: CaracalOptions,
  path: string,
  init: { authorization?: string; method?: string } = {},
): Promise<{ fetch: Answer; hono: Answer }> {
  const handler = withCaracal(() => new Response('handler'), options)
  const app = new Hono().use(caracal(options)).all('*', (c) => c.text('handler'))
  const headers = init.authorization === undefined ? undefined : { authorization: init.authorization }
  const method = init.method ?? 'GET'
  return {
    fetch: await answer(await handler(new Request(`${ORIGIN}${path}`, { method, headers }))),
    hono: await answer(await app.request(path, { method, headers })),
  }
}

describe('caracal() answers exactly like withCaracal', () => {
  const cases: [string, (dev: DevIssuer) => Promise<string | undefined>, Partial<CaracalOptions>, number][] = [
    ['a valid mandate', (dev) => dev.mint(), {}, 200],
    ['no token', async () => undefined, {}, 401],
    ['another scheme', async () => 'Basic dXNlcjpwYXNz', {}, 401],
    ['a wrong audience', (dev) => dev.mint({ aud: ['resource://other'] }), {}, 401],
    ['another zone', (dev) => dev.mint({ zone_id: 'zone-b' }), {}, 401],
    ['an expired mandate', (dev) => dev.mint({ exp: 1000, iat: 900 }), {}, 401],
    ['a missing scope', (dev) => dev.mint({ scope: 'billing:read' }), { requiredScopes: ['billing:write'] }, 403],
    ['no agent', (dev) => dev.mint(), { requireAgent: true }, 403],
    ['no delegation', (dev) => dev.mint(), { requireDelegation: true }, 403],
    ['too many hops', (dev) => dev.mint({ hop_count: 3 }), { maxHopCount: 2 }, 403],
    [
      'a missing scope with resource metadata',
      (dev) => dev.mint(),
      { requiredScopes: ['billing:read'], resourceMetadata: 'https://billing.example/.well-known/oauth' },
      403,
    ],
    ['no token with resource metadata', async () => undefined, { resourceMetadata: 'https://b.example/meta' }, 401],
    [
      'a store that throws',
      (dev) => dev.mint(),
      {
        revocations: {
          isRevoked() {
            throw new Error('down')
          },
        },
      },
      503,
    ],
    ['JWKS unreachable', (dev) => dev.mint(), { fetch: async () => new Response('', { status: 502 }) }, 503],
  ]
  test.each(cases)('%s', async (_name, token, extra, status) => {
    const { dev, options } = await setup(extra)
    const value = await token(dev)
    const authorization = value === undefined ? undefined : value.startsWith('Basic') ? value : `Bearer ${value}`
    const { fetch, hono } = await both(options, '/invoices', authorization === undefined ? {} : { authorization })
    expect(fetch.status).toBe(status)
    expect(hono).toEqual(fetch)
  })

  test('a revoked mandate', async () => {
    const { dev, store, options } = await setup()
    store.markRevoked('sid-1')
    const { fetch, hono } = await both(options, '/', { authorization: `Bearer ${await dev.mint({ sid: 'sid-1' })}` })
    expect(JSON.parse(fetch.body).error).toBe('session_revoked')
    expect(hono).toEqual(fetch)
  })

  test('HEAD refusals: same headers, no body', async () => {
    const { options } = await setup()
    const { fetch, hono } = await both(options, '/', { method: 'HEAD' })
    expect(fetch).toMatchObject({ status: 401, body: '', challenge: 'Bearer' })
    expect(hono).toEqual(fetch)
  })

  test('routes and exclude behave as in withCaracal', async () => {
    const { dev, options } = await setup({
      routes: { '/admin': { requiredScopes: ['admin'] } },
      exclude: ['/healthz'],
    })
    const read = `Bearer ${await dev.mint({ scope: 'billing:read' })}`
    for (const [path, authorization, status] of [
      ['/invoices', read, 200],
      ['/admin/users', read, 403],
      ['/adminX', read, 200],
      ['/healthz', undefined, 200],
      ['/healthz/deep', undefined, 200],
      ['/%68ealthz', undefined, 401],
      ['/%61dmin/x%ZZ', read, 403],
      ['/%61dmin/%C0', read, 403],
    ] as const) {
      const { fetch, hono } = await both(options, path, authorization === undefined ? {} : { authorization })
      expect(fetch.status, path).toBe(status)
      expect(hono, path).toEqual(fetch)
    }
  })

  test('a bad escape does not take a path out of the route Hono sends it to', async () => {
    const { dev, options } = await setup({ routes: { '/admin': { requiredScopes: ['admin'] } } })
    let ran = 0
    const app = new Hono().use(caracal(options)).get('/admin/:id', (c) => {
      ran++
      return c.text(`admin ${c.req.param('id')}`)
    })
    const headers = { authorization: `Bearer ${await dev.mint({ scope: 'billing:read' })}` }
    for (const path of ['/admin/x', '/%61dmin/x', '/%61dmin/x%ZZ', '/%61dmin/%C0']) {
      expect((await app.request(path, { headers })).status, path).toBe(403)
    }
    expect(ran).toBe(0)
    const admin = { authorization: `Bearer ${await dev.mint({ scope: 'admin' })}` }
    const res = await app.request('/%61dmin/x%ZZ', { headers: admin })
    expect(await res.text()).toBe('admin x%ZZ')
    expect(ran).toBe(1)
  })

  test('options are validated at construction with the middleware named', async () => {
    const { options } = await setup()
    expect(() => caracal({ ...options, requiredScopes: 'a b' as never })).toThrow(
      /^caracal: `requiredScopes` must be an array/,
    )
    expect(() => caracal({ ...options, revocations: undefined as never })).toThrow(/caracal: `revocations` is required/)
    expect(() => caracal({ ...options, issuer: 'http://sts.example' })).toThrow(TypeError)
  })
})

describe('the verified mandate in the context', () => {
  test('c.var.caracal, c.get and getMandate(c.req.raw) give the verified mandate; excluded paths have none', async () => {
    const { dev, options } = await setup({ exclude: ['/healthz'] })
    const app = new Hono<{ Variables: CaracalVariables }>()
    app.use(caracal(options))
    app.get('/me', (c) =>
      c.json({
        sub: c.var.caracal.sub,
        same: c.get('caracal') === getMandate(c.req.raw),
        agent: c.var.caracal.agentSessionId,
      }),
    )
    app.get('/healthz', (c) => c.json({ mandate: c.get('caracal') ?? null }))
    const token = await dev.mint({ sub: 'user-7', agent_session_id: 'as-9' })
    const res = await app.request('/me', { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'user-7', same: true, agent: 'as-9' })
    expect(await (await app.request('/healthz')).json()).toEqual({ mandate: null })
  })

  test('mounted on a path with app.use(path, ...) it protects only that path', async () => {
    const { dev, options } = await setup()
    const app = new Hono<{ Variables: CaracalVariables }>()
    app.use('/api/*', caracal(options))
    app.get('/api/me', (c) => c.text(c.var.caracal.sub))
    app.get('/public', (c) => c.text('public'))
    expect((await app.request('/public')).status).toBe(200)
    expect((await app.request('/api/me')).status).toBe(401)
    const ok = await app.request('/api/me', { headers: { authorization: `Bearer ${await dev.mint({ sub: 'u1' })}` } })
    expect(await ok.text()).toBe('u1')
  })

  test('c.env reaches the revocations factory (Workers bindings)', async () => {
    const { dev, options } = await setup()
    const seen: unknown[] = []
    const store = new MemoryRevocationStore()
    const app = new Hono<{ Bindings: { TENANT: string }; Variables: CaracalVariables }>()
    app.use(
      caracal({
        ...options,
        revocations: (env: { TENANT: string }) => {
          seen.push(env.TENANT)
          return store
        },
      }),
    )
    app.get('/', (c) => c.text('ok'))
    const res = await app.request('/', { headers: { authorization: `Bearer ${await dev.mint()}` } }, { TENANT: 't-1' })
    expect(res.status).toBe(200)
    expect(seen).toEqual(['t-1'])
  })

  test('CaracalVariables types c.var.caracal and c.get("caracal") without casts', () => {
    expect(typeErrorsOf(new URL('./fixtures/hono-types.ts', import.meta.url))).toEqual([])
  })
})

describe('requireScopes / requireMandate', () => {
  test('refuse exactly like withCaracal with the same requirement, and let granted mandates through', async () => {
    const { dev, options } = await setup({ resourceMetadata: 'https://billing.example/meta' })
    const handler = withCaracal(() => new Response('handler'), {
      ...options,
      routes: {
        '/payouts': { requiredScopes: ['billing:payout', 'billing:read'] },
        '/agents': { requireAgent: true },
        '/delegated': { requireDelegation: true, requireChainContains: 'app-a' },
      },
    })
    const app = new Hono<{ Variables: CaracalVariables }>()
    app.use(caracal(options))
    app.get('/payouts', requireScopes('billing:payout', 'billing:read'), (c) => c.text('handler'))
    app.get('/agents', requireMandate({ requireAgent: true }), (c) => c.text('handler'))
    app.get('/delegated', requireMandate({ requireDelegation: true, requireChainContains: 'app-a' }), (c) =>
      c.text('handler'),
    )
    const tokens = {
      plain: await dev.mint({ scope: 'billing:read' }),
      payout: await dev.mint({ scope: 'billing:read billing:payout' }),
      agent: await dev.mint({ agent_session_id: 'as-1' }),
      edgeNoChain: await dev.mint({ delegation_edge_id: 'e1', delegation_chain: [{ application_id: 'app-b' }] }),
      delegated: await dev.mint({ delegation_edge_id: 'e1', delegation_chain: [{ application_id: 'app-a' }] }),
    }
    const expected: [string, keyof typeof tokens, number, string | undefined][] = [
      ['/payouts', 'plain', 403, 'insufficient_scope'],
      ['/payouts', 'payout', 200, undefined],
      ['/agents', 'plain', 403, 'session_required'],
      ['/agents', 'agent', 200, undefined],
      ['/delegated', 'plain', 403, 'delegation_required'],
      ['/delegated', 'edgeNoChain', 403, 'chain_mismatch'],
      ['/delegated', 'delegated', 200, undefined],
    ]
    for (const [path, token, status, code] of expected) {
      const headers = { authorization: `Bearer ${tokens[token]}` }
      const viaFetch = await answer(await handler(new Request(`${ORIGIN}${path}`, { headers })))
      const viaHono = await answer(await app.request(path, { headers }))
      expect(viaFetch.status, `${path} ${token}`).toBe(status)
      if (code !== undefined) expect(JSON.parse(viaFetch.body).error).toBe(code)
      expect(viaHono, `${path} ${token}`).toEqual(viaFetch)
    }
    const scoped = await app.request('/payouts', { headers: { authorization: `Bearer ${tokens.plain}` } })
    expect(scoped.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="Missing scope: billing:payout", scope="billing:payout billing:read", resource_metadata="https://billing.example/meta"',
    )
  })

  test('reuse the verified mandate: no second authentication (revocation lookups and JWKS fetches unchanged)', async () => {
    const { dev, options, lookups } = await setup()
    const app = new Hono<{ Variables: CaracalVariables }>()
    app.use(caracal({ ...options, mandateCache: false }))
    app.get('/plain', (c) => c.text('ok'))
    app.get('/x', requireScopes('a'), requireMandate({ requiredScopes: ['b'] }), (c) => c.text('ok'))
    const headers = { authorization: `Bearer ${await dev.mint({ scope: 'a b' })}` }
    expect((await app.request('/plain', { headers })).status).toBe(200)
    const perRequest = lookups()
    const jwks = dev.jwksRequests
    expect((await app.request('/x', { headers })).status).toBe(200)
    expect(lookups()).toBe(2 * perRequest)
    expect(dev.jwksRequests).toBe(jwks)
  })

  test('check only what they name: a gateway mandate admitted by caracal() passes requireScopes', async () => {
    const { dev, options } = await setup({ requiredUse: 'gateway', maxHopCount: 20 })
    const app = new Hono<{ Variables: CaracalVariables }>()
    app.use(caracal(options))
    app.get('/g', requireScopes('a'), (c) => c.text('ok'))
    app.get('/r', requireMandate({ requiredUse: 'resource' }), (c) => c.text('ok'))
    const token = `Bearer ${await dev.mint({ use: 'gateway', scope: 'a', hop_count: 15 })}`
    expect((await app.request('/g', { headers: { authorization: token } })).status).toBe(200)
    const r = await app.request('/r', { headers: { authorization: token } })
    expect(r.status).toBe(401)
    expect(((await r.json()) as { error: string }).error).toBe('invalid_token')
  })

  test('refusals reach the onError of the caracal() that verified the request', async () => {
    const seen: string[] = []
    const { dev, options } = await setup({ onError: (e: CaracalError) => seen.push(`${e.code}: ${e.reason}`) })
    const app = new Hono<{ Variables: CaracalVariables }>()
    app.use(caracal(options))
    app.get('/x', requireScopes('billing:write'), (c) => c.text('ok'))
    await app.request('/x', { headers: { authorization: `Bearer ${await dev.mint()}` } })
    expect(seen).toEqual(['insufficient_scope: missing scope(s): billing:write'])
  })

  test('without a verified mandate (no caracal() before, or an excluded path) answer 500 server_misconfigured', async () => {
    const { dev, options } = await setup({ exclude: ['/public'] })
    const bare = new Hono().get('/x', requireScopes('a'), (c) => c.text('reached'))
    const token = `Bearer ${await dev.mint({ scope: 'a' })}`
    const res = await bare.request('/x', { headers: { authorization: token } })
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: string }).error).toBe('server_misconfigured')
    const app = new Hono<{ Variables: CaracalVariables }>()
    app.use(caracal(options))
    app.get('/public/x', requireScopes('a'), (c) => c.text('reached'))
    const excluded = await app.request('/public/x', { headers: { authorization: token } })
    expect(excluded.status).toBe(500)
    expect(await excluded.text()).not.toContain('reached')
  })

  test('a context variable set by other code is not trusted as a verified mandate', async () => {
    const { dev } = await setup()
    const app = new Hono<{ Variables: CaracalVariables }>()
    app.use(async (c, next) => {
      c.set('caracal', { scopes: ['a'], use: 'resource', hopCount: 0 } as never)
      await next()
    })
    app.get('/x', requireScopes('a'), (c) => c.text('reached'))
    expect((await app.request('/x', { headers: { authorization: `Bearer ${await dev.mint()}` } })).status).toBe(500)
  })

  test('validate their options at construction', () => {
    expect(() => requireScopes()).toThrow(/requireScopes: pass at least one scope/)
    expect(() => requireScopes('a b')).toThrow(/requireScopes: `requiredScopes` must be an array/)
    expect(() => requireMandate({})).toThrow(/requireMandate: names no requirement/)
    expect(() => requireMandate(null as never)).toThrow(TypeError)
    expect(() => requireMandate({ requiredScope: ['a'] } as never)).toThrow(/unknown option `requiredScope`/)
    expect(() => requireMandate({ maxHopCount: -1 })).toThrow(/`maxHopCount` must be an integer >= 0/)
  })
})
