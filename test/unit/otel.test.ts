// caracal-fetch/otel with the real OpenTelemetry SDK (in-memory exporter): one span per
// verification with its attributes, the JWKS download as its child, and nothing without a provider.
import { context, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { withCaracal, type CaracalOptions } from '../../src/index.js'
import { SPAN, tracing } from '../../src/otel.js'
import { devZone } from '../support/dev-zone.js'

function sdk() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, provider }
}

async function setup(extra: Partial<CaracalOptions> = {}) {
  const { dev, options: trusted } = await devZone()
  const options: CaracalOptions = {
    ...trusted,
    logger: false,
    ...extra,
  }
  const send = (handler: (r: Request) => Response | Promise<Response>, token?: string) =>
    handler(
      new Request('https://api.example/x', {
        headers: token === undefined ? undefined : { authorization: `Bearer ${token}` },
      }),
    )
  return { dev, options, send }
}

beforeAll(() => {
  // Node's context manager, so the JWKS download started inside a verification is its child.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
})
afterAll(() => {
  context.disable()
  trace.disable()
})

describe('tracing()', () => {
  test('one span per verification; the JWKS download is its child; a cache hit is marked', async () => {
    const { exporter, provider } = sdk()
    const { dev, options, send } = await setup({ telemetry: tracing({ tracerProvider: provider }) })
    const handler = withCaracal(() => new Response('ok'), options)
    const token = await dev.mint()
    expect((await send(handler, token)).status).toBe(200)
    expect((await send(handler, token)).status).toBe(200)

    const spans = exporter.getFinishedSpans()
    const verifications = spans.filter((s) => s.name === SPAN.verify)
    const downloads = spans.filter((s) => s.name === SPAN.jwksFetch)
    expect(verifications).toHaveLength(2)
    expect(downloads).toHaveLength(1)
    expect(verifications.map((s) => s.attributes[SPAN.cacheHit])).toEqual([false, true])
    expect(verifications[0]!.attributes).toMatchObject({ [SPAN.outcome]: 'verified', 'http.request.method': 'GET' })
    expect(typeof verifications[0]!.attributes[SPAN.storeMs]).toBe('number')
    expect(verifications[0]!.attributes[SPAN.errorCode]).toBeUndefined()
    expect(downloads[0]!.parentSpanContext?.spanId).toBe(verifications[0]!.spanContext().spanId)
    expect(downloads[0]!.attributes['url.full']).toMatch(/^https:\/\/sts\.example\//)
    expect(downloads[0]!.attributes['http.response.status_code']).toBe(200)
    expect(verifications[0]!.status.code).toBe(SpanStatusCode.UNSET)
  })

  test('a client refusal carries its code; a deployment failure is an ERROR, its download too', async () => {
    const { exporter, provider } = sdk()
    const refusing = await setup({ telemetry: tracing({ tracerProvider: provider }) })
    expect((await refusing.send(withCaracal(() => new Response('ok'), refusing.options))).status).toBe(401)
    const [client] = exporter.getFinishedSpans()
    expect(client!.attributes).toMatchObject({ [SPAN.outcome]: 'refused', [SPAN.errorCode]: 'missing_token' })
    expect(client!.status.code).toBe(SpanStatusCode.UNSET)

    exporter.reset()
    const down = await setup({
      telemetry: tracing({ tracerProvider: provider }),
      fetch: async () => new Response('', { status: 502 }),
    })
    const handler = withCaracal(() => new Response('ok'), down.options)
    expect((await down.send(handler, await down.dev.mint())).status).toBe(503)
    const verify = exporter.getFinishedSpans().find((s) => s.name === SPAN.verify)!
    const download = exporter.getFinishedSpans().find((s) => s.name === SPAN.jwksFetch)!
    expect(verify.attributes[SPAN.errorCode]).toBe('temporarily_unavailable')
    expect(verify.status.code).toBe(SpanStatusCode.ERROR)
    expect(download.attributes['http.response.status_code']).toBe(502)
    expect(download.status.code).toBe(SpanStatusCode.ERROR)
  })

  test('records through the global provider, even one registered after the wrapper was built', async () => {
    const { dev, options, send } = await setup({ telemetry: tracing() })
    const handler = withCaracal(() => new Response('ok'), options)
    expect((await send(handler, await dev.mint())).status).toBe(200)
    const { exporter, provider } = sdk()
    expect(trace.setGlobalTracerProvider(provider)).toBe(true)
    try {
      expect((await send(handler, await dev.mint())).status).toBe(200)
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([SPAN.verify])
    } finally {
      trace.disable()
    }
  })

  test('checks its options', () => {
    expect(() => tracing({ provider: {} } as never)).toThrow(/^tracing: unknown option `provider`/)
    expect(() => tracing({ tracerProvider: {} as never })).toThrow(/^tracing: `tracerProvider` must be/)
  })
})
