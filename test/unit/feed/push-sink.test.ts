/**
 * pushSink over real loopback HTTP: against a revocationReceiver served by @hono/node-server (the
 * round trip a feed makes), and against small node:http servers that answer what a receiver never
 * would (a redirect, a 2xx from another page, silence) to show each one rejects the batch.
 */
import { serve, type ServerType } from '@hono/node-server'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { MemoryRevocationStore } from '../../../src/stores/memory.js'
import { pushSink, revocationReceiver, type PushSinkOptions, type RevocationWrite } from '../../../src/feed.js'
import type { RevocationStore } from '../../../src/stores/types.js'

type WritableRevocationStore = Required<Pick<RevocationStore, 'markRevoked' | 'markDelegationEpoch'>>

const SECRET = 'push-sink-test-secret-0123456789abcdef'
const DAY = 86_400_000
const revoke = (anchor: string): RevocationWrite => ({ kind: 'revoke', anchor, ttlMs: DAY })

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

/** A receiver on a random loopback port; counts the requests it got. */
async function startReceiver(store: WritableRevocationStore, secret = SECRET) {
  const receive = revocationReceiver({ store, secret, onError: () => undefined })
  const seen = { requests: 0 }
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: (request) => (seen.requests++, receive(request)), hostname: '127.0.0.1', port: 0 }, () =>
      resolve(s),
    )
  })
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/caracal/revocations`, seen }
}

interface Captured {
  headers: IncomingMessage['headers']
  body: string
}

/** A plain HTTP server answering with `respond`; records what it received. */
async function startServer(respond: (res: ServerResponse) => void) {
  const captured: Captured[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      captured.push({ headers: req.headers, body })
      respond(res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=t0p`, captured }
}

describe('pushSink -> revocationReceiver over loopback HTTP', () => {
  test('a batch is stored before write() resolves', async () => {
    const store = new MemoryRevocationStore()
    const { url } = await startReceiver(store)
    const sink = pushSink({ url, secret: SECRET })
    await sink.write([revoke('sid-1'), { kind: 'epoch', zoneId: 'zone-a', epoch: 4, ttlMs: DAY }])
    expect(store.isRevoked('sid-1')).toBe(true)
    expect(store.currentDelegationEpoch('zone-a')).toBe(4)
  })

  test('a batch over maxWrites goes as several requests, all before write() resolves', async () => {
    const store = new MemoryRevocationStore()
    const { url, seen } = await startReceiver(store)
    const writes = Array.from({ length: 601 }, (_, i) => revoke(`sid-${i}`))
    await pushSink({ url, secret: SECRET }).write(writes)
    expect(seen.requests).toBe(3)
    expect(writes.every((w) => w.kind === 'revoke' && store.isRevoked(w.anchor))).toBe(true)
  })

  test('an empty batch sends nothing', async () => {
    const { url, seen } = await startReceiver(new MemoryRevocationStore())
    await pushSink({ url, secret: SECRET }).write([])
    expect(seen.requests).toBe(0)
  })

  test('a receiver holding another secret: rejects naming 401 and the code', async () => {
    const store = new MemoryRevocationStore()
    const { url } = await startReceiver(store, 'a-different-secret-0123456789abcdefgh')
    await expect(pushSink({ url, secret: SECRET }).write([revoke('sid-1')])).rejects.toThrow(
      /^pushSink: http:\/\/127\.0\.0\.1:\d+\/caracal\/revocations answered 401 \(invalid_signature\); the batch was not stored$/,
    )
    expect(store.isRevoked('sid-1')).toBe(false)
  })

  test('a receiver whose store fails: rejects naming 503', async () => {
    const store: WritableRevocationStore = {
      markRevoked: () => Promise.reject(new Error('kv down')),
      markDelegationEpoch: () => undefined,
    }
    const { url } = await startReceiver(store)
    await expect(pushSink({ url, secret: SECRET }).write([revoke('sid-1')])).rejects.toThrow(
      /answered 503 \(store_unavailable\)/,
    )
  })
})

describe('answers that are not an acknowledgement', () => {
  test('the request is signed in the documented format (checked with node:crypto)', async () => {
    const { url, captured } = await startServer((res) => res.writeHead(200).end('{"applied":1}'))
    await pushSink({ url, secret: SECRET, now: () => 1_800_000_000_999 }).write([revoke('sid-1')])
    const [request] = captured
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.headers['x-caracal-timestamp']).toBe('1800000000')
    const mac = createHmac('sha256', SECRET).update(`1800000000.${request!.body}`).digest('hex')
    expect(request!.headers['x-caracal-signature']).toBe(`v1=${mac}`)
    expect(JSON.parse(request!.body)).toEqual({ writes: [revoke('sid-1')] })
  })

  const answers: [string, (res: ServerResponse) => void, RegExp][] = [
    ['a redirect', (res) => res.writeHead(307, { location: '/elsewhere' }).end(), /answered 307;/],
    ['a 500 with an HTML page', (res) => res.writeHead(500).end('<h1>oops</h1>'), /answered 500;/],
    ['a 200 from another page', (res) => res.writeHead(200).end('<html>welcome</html>'), /without \{ "applied": 1 \}/],
    ['a 200 with the wrong count', (res) => res.writeHead(200).end('{"applied":0}'), /without \{ "applied": 1 \}/],
    ['a 204', (res) => res.writeHead(204).end(), /answered 204 without/],
  ]
  test.each(answers)('%s rejects, and the URL in the message has no query', async (_name, respond, message) => {
    const { url } = await startServer(respond)
    const error = await pushSink({ url, secret: SECRET })
      .write([revoke('sid-1')])
      .then(
        () => undefined,
        (e: Error) => e,
      )
    expect(error?.message).toMatch(message)
    expect(error?.message).not.toContain('t0p')
  })

  test('no answer within timeoutMs rejects with a timeout', async () => {
    const { url } = await startServer(() => undefined) // never answers
    await expect(pushSink({ url, secret: SECRET, timeoutMs: 200 }).write([revoke('sid-1')])).rejects.toThrow(
      /^pushSink: no answer from http:\/\/127\.0\.0\.1:\d+\/hook within 200 ms$/,
    )
  })

  test('a refused connection rejects naming the target', async () => {
    const { url } = await startServer(() => undefined)
    await Promise.all(closers.splice(0).map((close) => close()))
    await expect(pushSink({ url, secret: SECRET }).write([revoke('sid-1')])).rejects.toThrow(
      /^pushSink: POST http:\/\/127\.0\.0\.1:\d+\/hook failed: /,
    )
  })

  test('a malformed write rejects before anything is sent', async () => {
    const { url, captured } = await startServer((res) => res.writeHead(200).end('{"applied":1}'))
    const sink = pushSink({ url, secret: SECRET })
    await expect(sink.write([revoke('')])).rejects.toThrow(/pushSink: writes\[0\] `anchor` must be a non-empty string/)
    await expect(sink.write('sid-1' as unknown as RevocationWrite[])).rejects.toThrow(TypeError)
    // Found in the third request's share of the batch: still nothing sent.
    const late = [...Array.from({ length: 600 }, (_, i) => revoke(`sid-${i}`)), revoke('delegation-epoch:z')]
    await expect(sink.write(late)).rejects.toThrow(/writes\[600\] `anchor` must not start with "delegation-epoch:"/)
    expect(captured).toEqual([])
  })

  test('a custom fetch is used', async () => {
    const urls: string[] = []
    const sink = pushSink({
      url: 'https://revocations.example/in',
      secret: SECRET,
      fetch: async (input) => (urls.push(input), Response.json({ applied: 1 })),
    })
    await sink.write([revoke('sid-1')])
    expect(urls).toEqual(['https://revocations.example/in'])
  })
})

describe('construction', () => {
  const cases: [string, unknown, RegExp][] = [
    ['no options', undefined, /options are required/],
    ['an http URL off loopback', { url: 'http://api.example/in', secret: SECRET }, /must use https:/],
    ['a relative URL', { url: '/in', secret: SECRET }, /absolute URL/],
    ['a URL with credentials', { url: 'https://u:p@api.example/in', secret: SECRET }, /must not carry credentials/],
    ['a short secret', { url: 'https://api.example/in', secret: 'short' }, /at least 32 bytes \(it has 5\)/],
    ['no secret', { url: 'https://api.example/in' }, /`secret` must be a string/],
    ['a misspelt option', { url: 'https://api.example/in', secret: SECRET, timeout: 5 }, /did you mean `timeoutMs`\?/],
    ['a zero timeout', { url: 'https://api.example/in', secret: SECRET, timeoutMs: 0 }, /`timeoutMs`/],
    ['a fractional maxWrites', { url: 'https://api.example/in', secret: SECRET, maxWrites: 2.5 }, /`maxWrites`/],
  ]
  test.each(cases)('%s is a TypeError', (_name, options, message) => {
    expect(() => pushSink(options as PushSinkOptions)).toThrow(TypeError)
    expect(() => pushSink(options as PushSinkOptions)).toThrow(message)
  })

  test.each(['http://127.0.0.1:8787/in', 'http://localhost/in', 'http://[::1]/in', 'https://api.example/in'])(
    '%s is accepted',
    (url) => {
      expect(() => pushSink({ url, secret: SECRET })).not.toThrow()
    },
  )
})
