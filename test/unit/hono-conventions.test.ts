// Hono's conventions: refusals thrown as HTTPException (seen by app.onError, sent unchanged without
// one) and c.var.caracal typed in a plain `new Hono()` through ContextVariableMap.
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, test } from 'vitest'
import { caracal, requireMandate, requireScopes } from '../../src/hono.js'
import { withCaracal, type CaracalOptions } from '../../src/index.js'
import { devZone } from '../support/dev-zone.js'
import { typeErrorsOf } from '../support/type-errors.js'

async function setup(extra: Partial<CaracalOptions> = {}) {
  const { dev, options: trusted } = await devZone()
  const options: CaracalOptions = {
    ...trusted,
    logger: false,
    ...extra,
  }
  return { dev, options }
}

/** Everything a client sees: status, every header, the body bytes. */
async function wire(res: Response) {
  return {
    status: res.status,
    headers: [...res.headers.entries()].sort(),
    body: new Uint8Array(await res.arrayBuffer()),
  }
}

type Case = [
  string,
  (token: (claims?: object) => Promise<string>) => Promise<string | undefined>,
  Partial<CaracalOptions>,
]
const cases: Case[] = [
  ['401 no token', async () => undefined, {}],
  ['401 expired', async (mint) => `Bearer ${await mint({ exp: 1000, iat: 900 })}`, {}],
  ['403 missing scope', async (mint) => `Bearer ${await mint({ scope: 'a' })}`, { requiredScopes: ['billing:write'] }],
  [
    '401 with resource metadata',
    async () => undefined,
    { resourceMetadata: 'https://billing.example/.well-known/oauth-protected-resource' },
  ],
  [
    '503 JWKS unreachable',
    async (mint) => `Bearer ${await mint()}`,
    { fetch: async () => new Response('', { status: 502 }) },
  ],
]

describe('a caracal() refusal is an HTTPException carrying the prepared response', () => {
  test.each(cases)('%s: byte-identical to withCaracal, with and without app.onError', async (_name, auth, extra) => {
    const { dev, options } = await setup(extra)
    const authorization = await auth((claims) => dev.mint(claims))
    const headers = authorization === undefined ? undefined : { authorization }
    const expected = await wire(
      await withCaracal(() => new Response('handler'), options)(new Request('http://localhost/x', { headers })),
    )
    expect(expected.status).toBeGreaterThanOrEqual(400)

    const plain = new Hono().use(caracal(options)).get('/x', (c) => c.text('handler'))
    expect(await wire(await plain.request('/x', { headers }))).toEqual(expected)

    const seen: unknown[] = []
    const withHandler = new Hono()
    withHandler.onError((err) => {
      seen.push(err)
      return err instanceof HTTPException ? err.getResponse() : new Response('not ours', { status: 500 })
    })
    withHandler.use(caracal(options)).get('/x', (c) => c.text('handler'))
    expect(await wire(await withHandler.request('/x', { headers }))).toEqual(expected)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(HTTPException)
    expect((seen[0] as HTTPException).status).toBe(expected.status)
    expect((seen[0] as HTTPException).message).toBe(JSON.parse(new TextDecoder().decode(expected.body)).error)
  })

  test('app.onError can answer in its own shape', async () => {
    const { options } = await setup()
    const app = new Hono()
    app.onError((err, c) =>
      err instanceof HTTPException ? c.json({ problem: err.message }, err.status) : c.text('?', 500),
    )
    app.use(caracal(options)).get('/x', (c) => c.text('handler'))
    const res = await app.request('/x')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ problem: 'missing_token' })
  })

  test('requireScopes / requireMandate refusals are thrown the same way', async () => {
    const { dev, options } = await setup({ resourceMetadata: 'https://billing.example/meta' })
    const seen: HTTPException[] = []
    const app = new Hono()
    app.onError((err) => {
      if (!(err instanceof HTTPException)) throw err
      seen.push(err)
      return err.getResponse()
    })
    app.use('/api/*', caracal(options))
    app.get('/api/scoped', requireScopes('billing:write'), (c) => c.text('ok'))
    app.get('/api/agent', requireMandate({ requireAgent: true }), (c) => c.text('ok'))
    app.get('/bare', requireScopes('billing:write'), (c) => c.text('ok'))
    const headers = { authorization: `Bearer ${await dev.mint({ scope: 'billing:read' })}` }

    const expected = await wire(
      await withCaracal(() => new Response('handler'), { ...options, requiredScopes: ['billing:write'] })(
        new Request('http://localhost/api/scoped', { headers }),
      ),
    )
    expect(await wire(await app.request('/api/scoped', { headers }))).toEqual(expected)
    expect((await app.request('/api/agent', { headers })).status).toBe(403)
    const bare = await app.request('/bare', { headers })
    expect(bare.status).toBe(500)
    expect(((await bare.json()) as { error: string }).error).toBe('server_misconfigured')
    expect(seen.map((e) => [e.status, e.message])).toEqual([
      [403, 'insufficient_scope'],
      [403, 'session_required'],
      [500, 'server_misconfigured'],
    ])
  })

  test('HEAD refusals keep their headers and have no body, onError or not', async () => {
    const { options } = await setup()
    const app = new Hono().use(caracal(options)).get('/x', (c) => c.text('handler'))
    const res = await app.request('/x', { method: 'HEAD' })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(await res.text()).toBe('')
  })
})

describe('c.var.caracal without a Variables generic', () => {
  // A whole TypeScript program: slow on a loaded machine, hence the generous deadline.
  test('is typed in a plain new Hono() under tsc --strict (ContextVariableMap)', { timeout: 120_000 }, () => {
    expect(typeErrorsOf(new URL('./fixtures/hono-plain-types.ts', import.meta.url))).toEqual([])
  })

  test('holds the verified mandate at run time', async () => {
    const { dev, options } = await setup()
    const app = new Hono()
    app.use(caracal(options))
    app.get('/me', (c) => c.json({ sub: c.var.caracal.sub, same: c.get('caracal') === c.var.caracal }))
    const res = await app.request('/me', { headers: { authorization: `Bearer ${await dev.mint()}` } })
    expect(await res.json()).toEqual({ sub: expect.any(String), same: true })
  })
})
