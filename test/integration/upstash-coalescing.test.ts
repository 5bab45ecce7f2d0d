/**
 * Coalesced revocation lookups of UpstashRevocationStore, against real parts: the real
 * @upstash/redis client over HTTP to the Upstash REST shim in front of a real redis-server. The
 * REST requests the shim receives are counted; nothing here is timed.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from '@upstash/redis'
import { withCaracal, type CaracalError } from 'caracal-fetch'
import { createDevIssuer, type DevIssuer } from 'caracal-fetch/testing'
import { UpstashRevocationStore, type UpstashRevocationStoreOptions } from 'caracal-fetch/upstash'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { findRedisServer, redisCommand, startRedis, type RedisServer } from '../support/redis-server.js'
import { startUpstashShim, type UpstashShim } from '../support/upstash-rest-shim.js'
import { DEV_ZONE, bearerRequest, trusting } from '../support/fixture.js'

const PREFIX = 'caracal:revoked:sessions:'

const found = findRedisServer()
let redis: RedisServer
let shim: UpstashShim

function store(options: UpstashRevocationStoreOptions = {}): UpstashRevocationStore {
  const client = new Redis({ url: shim.url, token: shim.token, retry: { retries: 0 }, enableAutoPipelining: false })
  return new UpstashRevocationStore(client, options)
}

interface Guarded {
  readonly dev: DevIssuer
  readonly errors: CaracalError[]
  handler(request: Request): Response | Promise<Response>
  call(token: string): Promise<Response>
}

async function guarded(revocations: UpstashRevocationStore): Promise<Guarded> {
  const zoneId = `zone-${crypto.randomUUID()}`
  const dev = await createDevIssuer({ ...DEV_ZONE, zoneId })
  const errors: CaracalError[] = []
  const handler = withCaracal(() => new Response('ok'), {
    ...trusting(dev),
    revocations,
    onError: (e) => errors.push(e),
  })
  const call = async (token: string): Promise<Response> => handler(bearerRequest(token))
  // The lazy client and the JWKS settle before anything is counted.
  await call(await dev.mint())
  return { dev, errors, handler, call }
}

const id = (label: string): string => `${label}-${crypto.randomUUID()}`

async function mintMany(dev: DevIssuer, n: number, claims: (i: number) => Record<string, unknown>): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => dev.mint(claims(i))))
}

/** Serves `handler` on a loopback port through node:http, as a Node deployment would. */
async function serve(handler: (request: Request) => Response | Promise<Response>) {
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const request = new Request(`http://127.0.0.1${req.url}`, {
      headers: { authorization: String(req.headers.authorization ?? '') },
    })
    void Promise.resolve(handler(request)).then(async (response) => {
      res.writeHead(response.status).end(await response.text())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

describe.skipIf(found.skip !== undefined)(found.skip ?? 'Upstash store: coalesced lookups', () => {
  beforeAll(async () => {
    redis = await startRedis()
    shim = await startUpstashShim({ redisPort: redis.port })
  })

  afterAll(async () => {
    await shim?.close()
    await redis?.stop()
  })

  for (const concurrent of [16, 64]) {
    test(`${concurrent} concurrent requests with distinct mandates: at most 0.25 REST requests per verification`, async () => {
      const g = await guarded(store())
      const tokens = await mintMany(g.dev, concurrent, () => ({ sid: id('sid') }))
      shim.resetRequests()
      const rounds = 4 // the first verifies every signature, the others hit the mandate cache
      for (let round = 0; round < rounds; round++) {
        const responses = await Promise.all(tokens.map((t) => g.call(t)))
        expect(responses.map((r) => r.status)).toEqual(Array(concurrent).fill(200))
      }
      expect(g.errors).toEqual([])
      const perVerification = shim.requests.length / (rounds * concurrent)
      expect(perVerification).toBeLessThanOrEqual(0.25)
      // Every verification's keys were asked for: each MGET carries the keys of several requests.
      const sent = new Set(shim.requests.flatMap((r) => r.commands[0]!.slice(1)))
      for (const t of tokens) {
        const sid = (JSON.parse(atob(t.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sid: string }).sid
        expect(sent.has(`${PREFIX}${sid}`)).toBe(true)
      }
    })
  }

  test('over HTTP: 16 concurrent requests with distinct mandates share MGETs (requests arrive as separate I/O events)', async () => {
    const g = await guarded(store())
    const tokens = await mintMany(g.dev, 16, () => ({ sid: id('sid') }))
    const server = await serve(g.handler)
    try {
      for (const t of tokens)
        await fetch(server.url, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.text())
      shim.resetRequests()
      const rounds = 20
      for (let round = 0; round < rounds; round++) {
        const statuses = await Promise.all(
          tokens.map((t) =>
            fetch(server.url, { headers: { authorization: `Bearer ${t}` } }).then(async (r) => {
              await r.text()
              return r.status
            }),
          ),
        )
        expect(statuses).toEqual(Array(16).fill(200))
      }
      console.log(`over HTTP: ${(shim.requests.length / (16 * rounds)).toFixed(3)} REST requests per verification`)
      expect(shim.requests.length / (16 * rounds)).toBeLessThanOrEqual(0.25)
    } finally {
      await server.close()
    }
  })

  test('a lone request makes exactly one REST request', async () => {
    const g = await guarded(store())
    const token = await g.dev.mint({ sid: id('sid') })
    shim.resetRequests()
    expect((await g.call(token)).status).toBe(200)
    expect(shim.requests).toHaveLength(1)
  })

  test('duplicate anchors across the requests of one batch are sent once', async () => {
    const g = await guarded(store())
    const root = id('root')
    const tokens = await mintMany(g.dev, 16, (i) => ({ sid: `${root}-child-${i}`, root_sid: root }))
    await Promise.all(tokens.map((t) => g.call(t))) // signatures verified; the next round is one batch
    shim.resetRequests()
    const responses = await Promise.all([...tokens, ...tokens].map((t) => g.call(t)))
    expect(responses.map((r) => r.status)).toEqual(Array(32).fill(200))
    expect(shim.requests).toHaveLength(1)
    const [command, ...keys] = shim.requests[0]!.commands[0]!
    expect(String(command).toLowerCase()).toBe('mget')
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys).toHaveLength(17) // 16 sids and the shared root, once
    expect(keys.filter((k) => k === `${PREFIX}${root}`)).toHaveLength(1)
  })

  test('a revocation written before a request arrives is seen, even while an earlier batch is in flight', async () => {
    const revocations = store()
    const g = await guarded(revocations)
    const [early, late] = await mintMany(g.dev, 2, () => ({ sid: id('sid') }))
    const lateSid = (JSON.parse(atob(late!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sid: string })
      .sid
    await g.call(late!) // its signature is verified now; later calls only need the revocation lookup
    shim.resetRequests()
    shim.fault = { holdReplyMs: 400 }
    let earlyAnswer: Promise<Response>
    try {
      // `early`'s MGET has read Redis (nothing revoked) and its reply is held back...
      earlyAnswer = g.call(early!)
      while (shim.held === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      // ...when the revocation lands, and only then does the request for `late` arrive.
      expect(await redisCommand(redis.port, 'SET', `${PREFIX}${lateSid}`, '1', 'PX', '60000')).toBe('OK')
      shim.fault = undefined
      const lateAnswer = await g.call(late!)
      expect(lateAnswer.status).toBe(401)
      expect(((await lateAnswer.json()) as { error: string }).error).toBe('session_revoked')
    } finally {
      shim.fault = undefined
    }
    expect((await earlyAnswer).status).toBe(200)
    expect(shim.requests).toHaveLength(2)
  })

  test('a failing batch fails each of its requests with 503 and an error of its own; the next batch recovers', async () => {
    const g = await guarded(store())
    const tokens = await mintMany(g.dev, 16, () => ({ sid: id('sid') }))
    await Promise.all(tokens.map((t) => g.call(t)))
    shim.resetRequests()
    shim.fault = { status: 500 }
    let failed: Response[]
    try {
      failed = await Promise.all(tokens.map((t) => g.call(t)))
    } finally {
      shim.fault = undefined
    }
    expect(failed.map((r) => r.status)).toEqual(Array(16).fill(503))
    expect(shim.requests).toHaveLength(1)
    expect(g.errors).toHaveLength(16)
    expect(g.errors.every((e) => e.code === 'temporarily_unavailable')).toBe(true)
    expect(new Set(g.errors).size).toBe(16)
    expect(new Set(g.errors.map((e) => e.cause)).size).toBe(16)
    expect(g.errors[0]!.reason).toMatch(/revocation store failed/)

    const healed = await Promise.all(tokens.map((t) => g.call(t)))
    expect(healed.map((r) => r.status)).toEqual(Array(16).fill(200))
    expect(shim.requests).toHaveLength(2)
  })

  test('coalesceLookups: false sends one MGET per lookup', async () => {
    const g = await guarded(store({ coalesceLookups: false }))
    const tokens = await mintMany(g.dev, 16, () => ({ sid: id('sid') }))
    await Promise.all(tokens.map((t) => g.call(t)))
    shim.resetRequests()
    const responses = await Promise.all(tokens.map((t) => g.call(t)))
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200))
    expect(shim.requests).toHaveLength(16)
  })

  test('fromEnv stores coalesce too', async () => {
    const revocations = UpstashRevocationStore.fromEnv({
      UPSTASH_REDIS_REST_URL: shim.url,
      UPSTASH_REDIS_REST_TOKEN: shim.token,
    })
    const g = await guarded(revocations)
    const tokens = await mintMany(g.dev, 16, () => ({ sid: id('sid') }))
    await Promise.all(tokens.map((t) => g.call(t)))
    shim.resetRequests()
    const responses = await Promise.all(tokens.map((t) => g.call(t)))
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200))
    expect(shim.requests).toHaveLength(1)
  })

  test('coalesceLookups must be a boolean', () => {
    const bad = { coalesceLookups: 'yes' } as unknown as UpstashRevocationStoreOptions
    expect(() => store(bad)).toThrow(/coalesceLookups/)
    expect(() =>
      UpstashRevocationStore.fromEnv({ UPSTASH_REDIS_REST_URL: 'https://x', UPSTASH_REDIS_REST_TOKEN: 't' }, bad),
    ).toThrow(TypeError)
  })
})
