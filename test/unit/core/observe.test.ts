// onVerified: every verified request with its mandate and timings; refusals and excluded paths
// never reach it; its failures never reach the client. The clock (performance.now) is faked.
import { Hono } from 'hono'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { caracal } from '../../../src/hono.js'
import {
  MemoryRevocationStore,
  withCaracal,
  type CaracalOptions,
  type Mandate,
  type VerificationTimings,
} from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'
import { AUDIENCE } from '../../support/fixture.js'

let clock = 0
afterEach(() => {
  vi.restoreAllMocks()
})

async function setup(extra: Partial<CaracalOptions> = {}) {
  clock = 1000
  vi.spyOn(performance, 'now').mockImplementation(() => clock)
  const { dev, options: trusted } = await devZone()
  const seen: { mandate: Mandate; request: Request; timings: VerificationTimings }[] = []
  const options: CaracalOptions = {
    ...trusted,
    logger: false,
    onVerified: (mandate, request, timings) => seen.push({ mandate, request, timings }),
    ...extra,
  }
  return { dev, seen, options }
}

describe('onVerified', () => {
  test('gets the mandate, the very request and timings: a miss, then a cache hit', async () => {
    let lookups = 0
    const { dev, seen, options } = await setup({
      // An asynchronous store whose every lookup takes 7 ms of the fake clock.
      revocations: {
        async isRevoked() {
          lookups++
          clock += 7
          return false
        },
      },
    })
    const handler = withCaracal(() => new Response('ok'), options)
    const token = await dev.mint({ scope: 'billing:read' })
    const first = new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } })
    expect((await handler(first)).status).toBe(200)
    const second = new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } })
    expect((await handler(second)).status).toBe(200)

    expect(seen).toHaveLength(2)
    expect(seen[0]!.request).toBe(first)
    expect(seen[0]!.mandate.scopes).toEqual(['billing:read'])
    // One request's lookups (one per revocation anchor), all inside the store time and the total.
    const perRequest = (lookups / 2) * 7
    expect(perRequest).toBeGreaterThan(0)
    expect(seen[0]!.timings).toEqual({ totalMs: perRequest, cacheHit: false, storeMs: perRequest })
    expect(seen[1]!.timings).toEqual({ totalMs: perRequest, cacheHit: true, storeMs: perRequest })
  })

  test('a non-canonical Authorization header still reports a cache hit', async () => {
    const { dev, seen, options } = await setup()
    const handler = withCaracal(() => new Response('ok'), options)
    const token = await dev.mint()
    await handler(new Request('https://api.example/', { headers: { authorization: `Bearer ${token}` } }))
    await handler(new Request('https://api.example/', { headers: { authorization: `bearer   ${token}` } }))
    expect(seen.map((s) => s.timings.cacheHit)).toEqual([false, true])
  })

  test('refusals and excluded paths never reach it', async () => {
    const { dev, seen, options } = await setup({ exclude: ['/healthz'], requiredScopes: ['billing:write'] })
    const handler = withCaracal(() => new Response('ok'), options)
    expect((await handler(new Request('https://api.example/healthz'))).status).toBe(200)
    expect((await handler(new Request('https://api.example/x'))).status).toBe(401)
    const weak = `Bearer ${await dev.mint({ scope: 'billing:read' })}`
    expect((await handler(new Request('https://api.example/x', { headers: { authorization: weak } }))).status).toBe(403)
    expect(seen).toEqual([])
  })

  test('what it throws or rejects with does not change the response', async () => {
    for (const onVerified of [
      () => {
        throw new Error('metrics down')
      },
      () => Promise.reject(new Error('metrics down')),
    ]) {
      const { dev, options } = await setup({ onVerified })
      const handler = withCaracal(() => new Response('ok'), options)
      const res = await handler(
        new Request('https://api.example/', { headers: { authorization: `Bearer ${await dev.mint()}` } }),
      )
      expect(res.status).toBe(200)
    }
  })

  test('a tracer that throws does not refuse the request', async () => {
    const { dev, seen, options } = await setup({
      telemetry: {
        startVerification() {
          throw new Error('tracer broken')
        },
      },
    })
    const handler = withCaracal(() => new Response('ok'), options)
    const res = await handler(
      new Request('https://api.example/', { headers: { authorization: `Bearer ${await dev.mint()}` } }),
    )
    expect(res.status).toBe(200)
    expect(seen).toHaveLength(1)
  })

  test('works in the Hono middleware too', async () => {
    const { dev, seen, options } = await setup()
    const app = new Hono().use(caracal(options)).get('/', (c) => c.text(c.var.caracal.sub))
    expect((await app.request('/', { headers: { authorization: `Bearer ${await dev.mint()}` } })).status).toBe(200)
    expect(seen).toHaveLength(1)
  })

  test('onVerified and telemetry are checked at construction', () => {
    const base = {
      audience: AUDIENCE,
      issuer: 'https://sts.example',
      zoneId: 'z',
      revocations: new MemoryRevocationStore(),
    }
    expect(() => withCaracal(() => new Response(), { ...base, onVerified: 'log' as never })).toThrow(
      /^withCaracal: `onVerified` must be a function/,
    )
    for (const telemetry of [{}, 'otel', { startVerification: () => ({}), wrapJwksFetch: 1 }]) {
      expect(() => withCaracal(() => new Response(), { ...base, telemetry: telemetry as never })).toThrow(
        /^withCaracal: `telemetry` must be a Telemetry object/,
      )
    }
  })
})
