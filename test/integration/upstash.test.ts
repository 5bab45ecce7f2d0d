/**
 * UpstashRevocationStore against real parts: the real @upstash/redis client, over HTTP, to the
 * Upstash REST shim in front of a real redis-server started here on a random loopback port.
 */
import { Redis } from '@upstash/redis'
import { withCaracal, type CaracalError, type CaracalOptions } from 'caracal-fetch'
import { createDevIssuer, type DevIssuer } from 'caracal-fetch/testing'
import { UpstashRevocationStore, type UpstashRevocationStoreOptions } from 'caracal-fetch/upstash'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { storeContract, type StoreContractOptions } from '../contract/stores.js'
import { findRedisServer, redisCommand, startRedis, type RedisServer } from '../support/redis-server.js'
import { startUpstashShim, type UpstashShim } from '../support/upstash-rest-shim.js'
import { DEV_ZONE, bearerRequest, trusting } from '../support/fixture.js'

const PREFIX = 'caracal:revoked:sessions:'
const DAY_MS = 24 * 60 * 60 * 1000

// Throws under CI=true when redis-server is missing; elsewhere the suite is skipped with the reason.
const found = findRedisServer()

let redis: RedisServer
let shim: UpstashShim

/** The real client, as the README tells users to create it: one attempt per call. */
function client(token = shim.token): Redis {
  return new Redis({ url: shim.url, token, retry: { retries: 0 }, enableAutoPipelining: false })
}

function injected(options: UpstashRevocationStoreOptions = {}): UpstashRevocationStore {
  return new UpstashRevocationStore(client(), options)
}

function fromEnv(options: UpstashRevocationStoreOptions = {}): UpstashRevocationStore {
  return UpstashRevocationStore.fromEnv(
    { UPSTASH_REDIS_REST_URL: shim.url, UPSTASH_REDIS_REST_TOKEN: shim.token },
    options,
  )
}

interface Guarded {
  dev: DevIssuer
  zoneId: string
  calls: number
  errors: CaracalError[]
  call(token: string): Promise<Response>
}

async function guarded(store: UpstashRevocationStore, overrides: Partial<CaracalOptions> = {}): Promise<Guarded> {
  const zoneId = `zone-${crypto.randomUUID()}`
  const dev = await createDevIssuer({ ...DEV_ZONE, zoneId })
  const g: Guarded = {
    dev,
    zoneId,
    calls: 0,
    errors: [],
    call: (token) => handler(bearerRequest(token)),
  }
  const handler = withCaracal(
    () => {
      g.calls++
      return new Response('ok')
    },
    { ...trusting(dev), revocations: store, onError: (e) => g.errors.push(e), ...overrides },
  )
  return g
}

async function errorCode(res: Response): Promise<string | undefined> {
  return ((await res.json()) as { error?: string }).error
}

const id = (label: string): string => `${label}-${crypto.randomUUID()}`

describe.skipIf(found.skip !== undefined)(found.skip ?? 'Upstash store on redis-server', () => {
  beforeAll(async () => {
    redis = await startRedis()
    shim = await startUpstashShim({ redisPort: redis.port })
  })

  afterAll(async () => {
    await shim?.close()
    await redis?.stop()
  })

  const contract = (name: string, create: () => UpstashRevocationStore): StoreContractOptions => ({
    name,
    create,
    async outage() {
      await redis.stop()
      return () => redis.restart()
    },
    // PX has millisecond precision; 1100 ms leaves room for the HTTP round trips inside the TTL.
    ttl: { shortTtlMs: 1100 },
    // The expiry Redis holds, read straight from redis-server (PTTL: ms left, negative when none).
    expiry: {
      async read(key) {
        const pttl = (await redisCommand(redis.port, 'PTTL', key)) as number
        return pttl < 0 ? undefined : Date.now() + pttl
      },
    },
  })
  for (const c of storeContract(contract('upstash (injected client)', () => injected()))) test(c.name, () => c.run())
  for (const c of storeContract(contract('upstash (fromEnv)', () => fromEnv()))) test(c.name, () => c.run())

  describe('interop with Caracal', () => {
    test("revocations written by Caracal's consumer (plain SET ... PX) are refused", async () => {
      const store = injected()
      for (const kind of ['sid', 'root_sid', 'agent_session_id', 'delegation_edge_id']) {
        const g = await guarded(store)
        const anchors = {
          sid: id('sid'),
          root_sid: id('root'),
          agent_session_id: id('as'),
          delegation_edge_id: id('e'),
        }
        const token = await g.dev.mint(anchors)
        expect((await g.call(token)).status).toBe(200)
        const anchor = anchors[kind as keyof typeof anchors]
        expect(await redisCommand(redis.port, 'SET', `${PREFIX}${anchor}`, '1', 'PX', '60000')).toBe('OK')
        g.calls = 0
        const res = await g.call(token)
        expect(res.status).toBe(401)
        expect(await errorCode(res)).toBe('session_revoked')
        expect(g.calls).toBe(0)
        expect(await store.isRevoked(anchor)).toBe(true)
      }
    })

    test("a delegation epoch written by Caracal's consumer makes older mandates delegation_stale", async () => {
      const store = injected()
      const g = await guarded(store)
      expect(await redisCommand(redis.port, 'SET', `${PREFIX}delegation-epoch:${g.zoneId}`, '9')).toBe('OK')
      expect(await store.currentDelegationEpoch(g.zoneId)).toBe(9)
      const stale = await g.call(await g.dev.mint({ delegation_graph_epoch: 8 }))
      expect(stale.status).toBe(401)
      expect(await errorCode(stale)).toBe('delegation_stale')
      expect((await g.call(await g.dev.mint({ delegation_graph_epoch: 9 }))).status).toBe(200)
    })

    test("our writes are Caracal's layout: value 1 with a PX expiry, the epoch as a decimal string", async () => {
      const store = injected()
      const anchor = id('sid')
      await store.markRevoked(anchor)
      expect(await redisCommand(redis.port, 'GET', `${PREFIX}${anchor}`)).toBe('1')
      const pttl = (await redisCommand(redis.port, 'PTTL', `${PREFIX}${anchor}`)) as number
      expect(pttl).toBeGreaterThan(DAY_MS - 60_000)
      expect(pttl).toBeLessThanOrEqual(DAY_MS)

      const short = id('as')
      await store.markRevoked(short, 5000)
      const shortTtl = (await redisCommand(redis.port, 'PTTL', `${PREFIX}${short}`)) as number
      expect(shortTtl).toBeGreaterThan(0)
      expect(shortTtl).toBeLessThanOrEqual(5000)

      const zone = id('zone')
      const key = `${PREFIX}delegation-epoch:${zone}`
      await store.markDelegationEpoch(zone, 12)
      expect(await redisCommand(redis.port, 'GET', key)).toBe('12')
      expect(await redisCommand(redis.port, 'PTTL', key)).toBeGreaterThan(DAY_MS - 60_000)
      await store.markDelegationEpoch(zone, 3)
      expect(await redisCommand(redis.port, 'GET', key)).toBe('12')
      await store.markDelegationEpoch(zone, 12_345_678_901)
      expect(await redisCommand(redis.port, 'GET', key)).toBe('12345678901')
    })

    test('concurrent epoch raises never lower the stored epoch (the raise runs on the server)', async () => {
      const stores = [injected(), fromEnv(), injected()]
      const zone = id('zone')
      const epochs = Array.from({ length: 60 }, (_, i) => (i * 37) % 60)
      await Promise.all(epochs.map((e, i) => stores[i % stores.length]!.markDelegationEpoch(zone, e)))
      expect(await redisCommand(redis.port, 'GET', `${PREFIX}delegation-epoch:${zone}`)).toBe('59')
    })

    test('a custom keyPrefix keeps its own key space', async () => {
      const tenant = injected({ keyPrefix: 'tenant-a:' })
      const anchor = id('sid')
      await tenant.markRevoked(anchor)
      expect(await redisCommand(redis.port, 'GET', `tenant-a:${anchor}`)).toBe('1')
      expect(await redisCommand(redis.port, 'EXISTS', `${PREFIX}${anchor}`)).toBe(0)
      expect(await injected().isRevoked(anchor)).toBe(false)
      const g = await guarded(tenant)
      expect((await g.call(await g.dev.mint({ sid: anchor }))).status).toBe(401)
    })
  })

  describe('round trips', () => {
    for (const [label, make] of [
      ['injected client', injected],
      ['fromEnv', fromEnv],
    ] as const) {
      test(`${label}: exactly one HTTP request (one MGET) per verification, cached mandate or not`, async () => {
        const g = await guarded(make())
        const anchors = {
          sid: id('sid'),
          root_sid: id('root'),
          agent_session_id: id('as'),
          delegation_edge_id: id('e'),
        }
        const token = await g.dev.mint({ ...anchors, delegation_graph_epoch: 3 })
        await g.call(await g.dev.mint()) // let the lazy client and the JWKS settle
        shim.resetRequests()

        expect((await g.call(token)).status).toBe(200)
        expect(shim.requests).toHaveLength(1)
        const [request] = shim.requests
        expect(request!.path).toBe('/')
        expect(request!.commands).toHaveLength(1)
        const [command, ...keys] = request!.commands[0]!
        expect(String(command).toUpperCase()).toBe('MGET')
        expect(keys).toEqual([
          `${PREFIX}${anchors.sid}`,
          `${PREFIX}${anchors.root_sid}`,
          `${PREFIX}${anchors.agent_session_id}`,
          `${PREFIX}${anchors.delegation_edge_id}`,
          `${PREFIX}delegation-epoch:${g.zoneId}`,
        ])

        expect((await g.call(token)).status).toBe(200) // verified-mandate cache hit
        expect(shim.requests).toHaveLength(2)
        for (let i = 0; i < 20; i++) await g.call(i % 2 === 0 ? token : await g.dev.mint())
        expect(shim.requests).toHaveLength(22)
        expect(shim.requests.every((r) => r.commands.length === 1 && r.authorized)).toBe(true)
      })
    }

    test('a mandate without delegation_graph_epoch reads no epoch key', async () => {
      const g = await guarded(injected())
      const token = await g.dev.mint({ sid: 's1', root_sid: 's1' })
      shim.resetRequests()
      expect((await g.call(token)).status).toBe(200)
      expect(shim.requests.map((r) => r.commands[0])).toEqual([['mget', `${PREFIX}s1`]])
    })
  })

  describe('failures fail closed', () => {
    test('a shim slower than timeoutMs gives 503 quickly and the handler does not run', async () => {
      for (const store of [injected({ timeoutMs: 200 }), fromEnv({ timeoutMs: 200 })]) {
        const g = await guarded(store)
        const token = await g.dev.mint()
        await g.dev.mint()
        shim.fault = { delayMs: 3000 }
        try {
          const started = Date.now()
          const res = await g.call(token)
          const elapsed = Date.now() - started
          expect(res.status).toBe(503)
          expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
          expect(await errorCode(res)).toBe('temporarily_unavailable')
          expect(elapsed).toBeLessThan(1500)
          expect(g.calls).toBe(0)
          expect(g.errors[0]?.reason).toMatch(/no answer within 200 ms|abort|timeout/i)
        } finally {
          shim.fault = undefined
        }
        expect((await g.call(token)).status).toBe(200)
      }
    })

    test('the default timeoutMs (1000 ms) is in force: a shim 1500 ms slow gives 503 at about 1 s', async () => {
      // withCaracal's own revocationTimeoutMs (2000 ms) would let a 1500 ms answer through: only the
      // store's default deadline can make this a 503.
      for (const [label, store] of [
        ['injected client', injected()],
        ['fromEnv', fromEnv()],
      ] as const) {
        const g = await guarded(store)
        const token = await g.dev.mint()
        expect((await g.call(token)).status, label).toBe(200) // lazy client, JWKS and mandate cache settled
        shim.fault = { delayMs: 1500 }
        try {
          const started = Date.now()
          const res = await g.call(token)
          const elapsed = Date.now() - started
          expect(res.status, label).toBe(503)
          expect(await errorCode(res)).toBe('temporarily_unavailable')
          expect(elapsed, label).toBeGreaterThanOrEqual(950)
          expect(elapsed, label).toBeLessThan(1450)
          expect(g.calls).toBe(1)
          expect(g.errors[0]?.reason).toMatch(/no answer within 1000 ms|abort|timeout/i)
        } finally {
          shim.fault = undefined
        }
      }
    })

    test('an HTTP 500 from Upstash gives 503, and writes reject', async () => {
      const store = injected()
      const g = await guarded(store)
      const token = await g.dev.mint()
      shim.fault = { status: 500 }
      try {
        const res = await g.call(token)
        expect(res.status).toBe(503)
        expect(g.calls).toBe(0)
        await expect(store.markRevoked(id('sid'))).rejects.toThrow()
        await expect(store.markDelegationEpoch(id('zone'), 1)).rejects.toThrow()
        await expect(store.isRevoked('x')).rejects.toThrow()
      } finally {
        shim.fault = undefined
      }
    })

    test('a wrong token (401 from Upstash) gives 503, not a pass', async () => {
      const g = await guarded(new UpstashRevocationStore(client('wrong-token')))
      const res = await g.call(await g.dev.mint())
      expect(res.status).toBe(503)
      expect(g.calls).toBe(0)
      expect(String(g.errors[0]?.reason)).toMatch(/Unauthorized/)
    })

    test('a malformed stored epoch is a store fault: 503, and raising it rejects', async () => {
      for (const bad of ['abc', '5.0', '-1', '']) {
        const store = injected()
        const g = await guarded(store)
        await redisCommand(redis.port, 'SET', `${PREFIX}delegation-epoch:${g.zoneId}`, bad)
        const res = await g.call(await g.dev.mint({ delegation_graph_epoch: 1 }))
        expect(res.status, `stored ${JSON.stringify(bad)}`).toBe(503)
        expect(g.errors[0]?.reason).toMatch(/not an integer/)
        await expect(store.markDelegationEpoch(g.zoneId, 7)).rejects.toThrow(/not an integer/)
        expect(await redisCommand(redis.port, 'GET', `${PREFIX}delegation-epoch:${g.zoneId}`)).toBe(bad)
        // A mandate without the claim does not read the epoch, so it is not affected.
        expect((await g.call(await g.dev.mint())).status).toBe(200)
      }
    })

    test('redis-server stopped: reads give 503 and writes reject, then it recovers', async () => {
      const store = fromEnv()
      const g = await guarded(store)
      const token = await g.dev.mint()
      expect((await g.call(token)).status).toBe(200)
      await redis.stop()
      try {
        expect((await g.call(token)).status).toBe(503)
        await expect(store.markRevoked(id('sid'))).rejects.toThrow()
      } finally {
        await redis.restart()
      }
      expect((await g.call(token)).status).toBe(200)
    })
  })

  describe('one HTTP attempt per call: a connection reset is not retried', () => {
    const reset = async <T>(run: () => Promise<T>): Promise<{ outcome: T | Error; requests: typeof shim.requests }> => {
      shim.resetRequests()
      shim.fault = { reset: true }
      try {
        const outcome = await run().catch((error: unknown) => error as Error)
        return { outcome, requests: [...shim.requests] }
      } finally {
        shim.fault = undefined
      }
    }

    test('control: with retry: false, @upstash/redis 1.39 sends the request twice', async () => {
      const r = new Redis({ url: shim.url, token: shim.token, retry: false, enableAutoPipelining: false })
      const { outcome, requests } = await reset(() => r.mget(id('k')))
      expect(outcome).toBeInstanceOf(Error)
      expect(requests).toHaveLength(2)
    })

    for (const [label, make] of [
      ['injected client (retry: { retries: 0 })', injected],
      ['fromEnv', fromEnv],
    ] as const) {
      test(`${label}: a lookup, a markRevoked (SET) and a markDelegationEpoch (EVAL) each reach the shim once`, async () => {
        const store = make()
        const g = await guarded(store)
        const token = await g.dev.mint({ delegation_graph_epoch: 1 })
        expect((await g.call(token)).status).toBe(200) // lazy client, JWKS and mandate cache settled
        g.calls = 0

        const lookup = await reset(() => g.call(token))
        expect((lookup.outcome as Response).status).toBe(503)
        expect(await errorCode(lookup.outcome as Response)).toBe('temporarily_unavailable')
        expect(g.calls).toBe(0)
        expect(lookup.requests.map((r) => String(r.commands[0]?.[0]).toUpperCase())).toEqual(['MGET'])

        const anchor = id('sid')
        const set = await reset(() => store.markRevoked(anchor))
        expect(set.outcome).toBeInstanceOf(Error)
        expect(set.requests.map((r) => String(r.commands[0]?.[0]).toUpperCase())).toEqual(['SET'])

        const zone = id('zone')
        const raise = await reset(() => store.markDelegationEpoch(zone, 4))
        expect(raise.outcome).toBeInstanceOf(Error)
        expect(raise.requests.map((r) => String(r.commands[0]?.[0]).toUpperCase())).toEqual(['EVAL'])

        // The reset happened after the shim read each request and before it ran the command.
        expect(await redisCommand(redis.port, 'EXISTS', `${PREFIX}${anchor}`)).toBe(0)
        expect((await g.call(token)).status).toBe(200)
        expect(g.calls).toBe(1)
      })
    }
  })

  describe('configuration', () => {
    test('fromEnv names the missing variable', () => {
      expect(() => UpstashRevocationStore.fromEnv({})).toThrow(
        expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('UPSTASH_REDIS_REST_URL') }),
      )
      expect(() => UpstashRevocationStore.fromEnv({ UPSTASH_REDIS_REST_URL: shim.url })).toThrow(
        /UPSTASH_REDIS_REST_TOKEN/,
      )
      expect(() =>
        UpstashRevocationStore.fromEnv({ UPSTASH_REDIS_REST_URL: '', UPSTASH_REDIS_REST_TOKEN: 't' }),
      ).toThrow(/UPSTASH_REDIS_REST_URL/)
    })

    test('fromEnv refuses a plain-http URL off loopback (the token would travel in clear)', () => {
      for (const url of ['http://redis.example.com', 'not a url', 'ftp://127.0.0.1']) {
        expect(() =>
          UpstashRevocationStore.fromEnv({ UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: 't' }),
        ).toThrow(TypeError)
      }
      expect(() =>
        UpstashRevocationStore.fromEnv({
          UPSTASH_REDIS_REST_URL: 'https://eu1-x.upstash.io',
          UPSTASH_REDIS_REST_TOKEN: 't',
        }),
      ).not.toThrow()
    })

    test('fromEnv() without an env object reads process.env', async () => {
      vi.stubEnv('UPSTASH_REDIS_REST_URL', '')
      vi.stubEnv('UPSTASH_REDIS_REST_TOKEN', '')
      try {
        expect(() => UpstashRevocationStore.fromEnv()).toThrow(/UPSTASH_REDIS_REST_URL/)
        vi.stubEnv('UPSTASH_REDIS_REST_URL', shim.url)
        vi.stubEnv('UPSTASH_REDIS_REST_TOKEN', shim.token)
        const store = UpstashRevocationStore.fromEnv()
        const anchor = id('sid')
        await store.markRevoked(anchor)
        expect(await store.isRevoked(anchor)).toBe(true)
      } finally {
        vi.unstubAllEnvs()
      }
    })

    test('bad options and a non-client are TypeErrors at construction', () => {
      const ok = client()
      expect(() => new UpstashRevocationStore({} as never)).toThrow(/@upstash\/redis Redis client/)
      expect(() => new UpstashRevocationStore(ok, { keyPrefix: '' })).toThrow(/keyPrefix/)
      expect(() => new UpstashRevocationStore(ok, { timeoutMs: 0 })).toThrow(/timeoutMs/)
      expect(() => new UpstashRevocationStore(ok, { ttlMs: -1 })).toThrow(/ttlMs/)
      const options = { keyPrefix: 'p:', ttlMs: 1000, timeoutMs: 300 }
      new UpstashRevocationStore(ok, options)
      expect(options).toEqual({ keyPrefix: 'p:', ttlMs: 1000, timeoutMs: 300 })
    })

    test('bad arguments are TypeErrors, reads included', async () => {
      const store = injected()
      await expect(store.isRevoked('')).rejects.toThrow(TypeError)
      await expect(store.currentDelegationEpoch('')).rejects.toThrow(
        'UpstashRevocationStore.currentDelegationEpoch: zoneId must be a non-empty string',
      )
      await expect(store.markRevoked('')).rejects.toThrow(TypeError)
      await expect(store.markRevoked('a', 0)).rejects.toThrow(TypeError)
      await expect(store.markDelegationEpoch('z', -1)).rejects.toThrow(TypeError)
      await expect(store.markDelegationEpoch('z', 1.5)).rejects.toThrow(TypeError)
      await expect(store.markDelegationEpoch('', 1)).rejects.toThrow(TypeError)
    })
  })

  describe('the REST shim speaks the protocol the client expects', () => {
    test('single commands, /pipeline and /multi-exec, with base64-encoded strings', async () => {
      const r = new Redis({ url: shim.url, token: shim.token, retry: { retries: 0 }, automaticDeserialization: false })
      const key = id('shim')
      expect(await r.set(key, 'ünï 🦊')).toBe('OK')
      expect(await r.get(key)).toBe('ünï 🦊')
      shim.resetRequests()
      expect(await r.pipeline().incr(`${key}:n`).get(key).exec()).toEqual([1, 'ünï 🦊'])
      expect(await r.multi().incr(`${key}:n`).incr(`${key}:n`).exec()).toEqual([2, 3])
      expect(shim.requests.map((q) => q.path)).toEqual(['/pipeline', '/multi-exec'])
      await expect(r.hget(key, 'f')).rejects.toThrow(/WRONGTYPE/)
    })

    test('Upstash-Encoding: base64 encodes every string but OK; without it, strings are plain', async () => {
      const key = id('enc')
      const post = async (body: unknown, base64: boolean, path = ''): Promise<unknown> => {
        const headers: Record<string, string> = { authorization: `Bearer ${shim.token}` }
        if (base64) headers['upstash-encoding'] = 'base64'
        const res = await fetch(`${shim.url}/${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
        return res.json()
      }
      const b64 = (s: string): string => Buffer.from(s).toString('base64')
      expect(await post(['SET', key, 'vä'], true)).toEqual({ result: 'OK' })
      expect(await post(['MGET', key, `${key}:none`], true)).toEqual({ result: [b64('vä'), null] })
      expect(await post(['GET', key], false)).toEqual({ result: 'vä' })
      expect(await post(['EXISTS', key], true)).toEqual({ result: 1 })
      expect(
        await post(
          [
            ['GET', key],
            ['HGET', key, 'f'],
          ],
          true,
          'pipeline',
        ),
      ).toEqual([{ result: b64('vä') }, { error: expect.stringMatching(/^WRONGTYPE/) }])
      expect(await post(['NOSUCHCOMMAND'], true)).toEqual({ error: expect.stringMatching(/unknown command/i) })
      // The real client asks for base64 on every request.
      shim.resetRequests()
      await client().get(key)
      expect(shim.requests[0]?.encoding).toBe('base64')
    })

    test('a wrong bearer token is 401', async () => {
      const res = await fetch(shim.url, {
        method: 'POST',
        headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
        body: '["PING"]',
      })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'Unauthorized' })
    })
  })
})
