/**
 * RevocationFeed against real parts: Caracal's streams in a real redis-server (read over TCP with
 * node-redis, or over REST with @upstash/redis through the shim), revocations written to a real
 * UpstashRevocationStore (the REST shim in front of a second redis-server) or a memory store, and
 * withCaracal refusing the revoked mandate afterwards.
 */
import { Redis } from '@upstash/redis'
import { MemoryRevocationStore, withCaracal, type RevocationStore } from 'caracal-fetch'
import { RevocationFeed, type RevocationFeedOptions } from 'caracal-fetch/feed'
import { createDevIssuer } from 'caracal-fetch/testing'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'
import { createClient } from 'redis'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import {
  DELEGATIONS,
  SESSIONS,
  TEST_HMAC_KEY,
  caracalSignature,
  deadLetters,
  pendingCount,
  producerShapes,
  publish,
} from '../support/caracal-streams.js'
import { findRedisServer, redisCommand, startRedis, type RedisServer } from '../support/redis-server.js'
import { RespClient } from '../support/resp-client.js'
import { startUpstashShim, type UpstashShim } from '../support/upstash-rest-shim.js'

const PREFIX = 'caracal:revoked:sessions:'
const AUDIENCE = 'resource://billing-api'
const found = findRedisServer()

let streams: RedisServer // the Caracal deployment's Redis
let sinkRedis: RedisServer // the edge's Upstash database
let sinkShim: UpstashShim
let streamShim: UpstashShim // Caracal's streams over REST, for the Upstash source
const feeds: RevocationFeed[] = []

const upstashStore = (timeoutMs = 2000): UpstashRevocationStore =>
  new UpstashRevocationStore(
    new Redis({ url: sinkShim.url, token: sinkShim.token, retry: { retries: 0 }, enableAutoPipelining: false }),
    { timeoutMs },
  )

function feed(options: Partial<RevocationFeedOptions> = {}): RevocationFeed {
  const f = new RevocationFeed({
    source: `redis://127.0.0.1:${streams.port}`,
    store: upstashStore(),
    hmacKey: TEST_HMAC_KEY,
    consumer: `test-${crypto.randomUUID()}`,
    onError: () => {},
    ...options,
  })
  feeds.push(f)
  return f
}

const sinkGet = (key: string) => redisCommand(sinkRedis.port, 'GET', key)

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (ok(value) || Date.now() > end) return value
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.skipIf(found.skip !== undefined)('RevocationFeed (redis-server, Upstash shim)', () => {
  beforeAll(async () => {
    streams = await startRedis()
    sinkRedis = await startRedis()
    sinkShim = await startUpstashShim({ redisPort: sinkRedis.port })
    streamShim = await startUpstashShim({ redisPort: streams.port })
  })
  afterAll(async () => {
    for (const f of feeds) await f.close()
    await streamShim?.close()
    await sinkShim?.close()
    await sinkRedis?.stop()
    await streams?.stop()
  })
  beforeEach(async () => {
    for (const f of feeds.splice(0)) await f.close()
    await redisCommand(streams.port, 'FLUSHALL')
    await redisCommand(sinkRedis.port, 'FLUSHALL')
    sinkShim.fault = undefined
  })

  test('every producer shape of section 6, signed, lands in the Upstash store in one request per batch', async () => {
    const shapes = producerShapes('zone-shapes')
    const f = feed()
    await f.ensureGroups()
    for (const s of shapes) await publish(streams.port, s.stream, s.fields)
    sinkShim.resetRequests()
    const r = await f.pollOnce()
    const anchors = shapes.flatMap((s) => s.anchors)
    expect(r).toMatchObject({
      handled: shapes.length,
      revoked: anchors.length,
      epochs: 2,
      deadLettered: 0,
      pendingLeft: 0,
    })
    for (const a of anchors) {
      expect(await sinkGet(PREFIX + a)).toBe('1')
      const ttl = Number(await redisCommand(sinkRedis.port, 'PTTL', PREFIX + a))
      expect(ttl).toBeGreaterThan(23 * 3600 * 1000)
    }
    // The highest epoch of the zone, never the last one written.
    expect(await sinkGet(`${PREFIX}delegation-epoch:zone-shapes`)).toBe('9')
    // One EVAL per stream batch: the sessions batch and the delegations batch.
    expect(sinkShim.requests.map((q) => String(q.commands[0]?.[0]).toUpperCase())).toEqual(['EVAL', 'EVAL'])
    expect(await pendingCount(streams.port, SESSIONS)).toBe(0)
    expect(await pendingCount(streams.port, DELEGATIONS)).toBe(0)
  })

  test('an epoch is never lowered, and a later lower epoch message is still acknowledged', async () => {
    const f = feed()
    await f.ensureGroups()
    await publish(streams.port, DELEGATIONS, { zone_id: 'z', epoch: '12', event: 'edge_create', outbox_id: '1' })
    await f.pollOnce()
    await publish(streams.port, DELEGATIONS, { zone_id: 'z', epoch: '3', event: 'edge_create', outbox_id: '2' })
    expect(await f.pollOnce()).toMatchObject({ handled: 1, epochs: 1, pendingLeft: 0 })
    expect(await sinkGet(`${PREFIX}delegation-epoch:z`)).toBe('12')
  })

  describe('end to end with withCaracal', () => {
    async function guarded(store: RevocationStore) {
      const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-e2e', audience: AUDIENCE })
      const handler = withCaracal(() => new Response('ok'), {
        audience: AUDIENCE,
        issuer: dev.issuer,
        zoneId: dev.zoneId,
        fetch: dev.fetch,
        revocations: store,
        onError: () => {},
      })
      const call = async (token: string) => {
        const res = await handler(
          new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } }),
        )
        return {
          status: res.status,
          error: res.status === 200 ? undefined : ((await res.json()) as { error: string }).error,
        }
      }
      return { dev, call }
    }

    test.each([
      ['the Upstash store', () => upstashStore()],
      ['a memory store', () => new MemoryRevocationStore()],
    ])('XADD a revocation, the feed runs, %s answers 401 session_revoked', async (_, makeStore) => {
      const store = makeStore()
      const { dev, call } = await guarded(store)
      const sid = `sid-${crypto.randomUUID()}`
      const token = await dev.mint({ sid })
      const other = await dev.mint()
      expect((await call(token)).status).toBe(200)
      const stop = new AbortController()
      const running = feed({ store, blockMs: 200 }).run({ signal: stop.signal })
      await publish(streams.port, SESSIONS, {
        outbox_id: 'o',
        zone_id: dev.zoneId,
        session_id: sid,
        reason: 'grant_revoked',
      })
      const refused = await until(
        () => call(token),
        (r) => r.status === 401,
      )
      stop.abort()
      await running
      expect(refused).toEqual({ status: 401, error: 'session_revoked' })
      expect((await call(other)).status).toBe(200)
    })

    test('an epoch message makes an older delegated mandate delegation_stale', async () => {
      const store = upstashStore()
      const { dev, call } = await guarded(store)
      const token = await dev.mint({ delegation_graph_epoch: 4 })
      expect((await call(token)).status).toBe(200)
      const f = feed({ store })
      await f.ensureGroups()
      await publish(streams.port, DELEGATIONS, {
        outbox_id: 'o',
        dedupe_key: 'd',
        event: 'edge_revoke',
        zone_id: dev.zoneId,
        epoch: '5',
      })
      expect(await f.pollOnce()).toMatchObject({ epochs: 1 })
      expect(await call(token)).toEqual({ status: 401, error: 'delegation_stale' })
      expect((await call(await dev.mint({ delegation_graph_epoch: 5 }))).status).toBe(200)
    })
  })

  describe('refused messages are dead-lettered, acknowledged and revoke nothing', () => {
    test.each([
      ['no _sig', SESSIONS, { session_id: 'victim', zone_id: 'z' }, null, 'invalid_signature'],
      ['a wrong _sig', SESSIONS, { session_id: 'victim', zone_id: 'z' }, 'ab'.repeat(32), 'invalid_signature'],
      [
        'a _sig made with another key',
        SESSIONS,
        { session_id: 'victim', zone_id: 'z' },
        'other-key',
        'invalid_signature',
      ],
      [
        'a _sig made for the other stream',
        SESSIONS,
        { session_id: 'victim', zone_id: 'z' },
        'cross',
        'invalid_signature',
      ],
      [
        'a newline in a value',
        SESSIONS,
        { reason: 'x\nsession_id=victim', zone_id: 'z' },
        undefined,
        'invalid_signature',
      ],
      ['no anchor', SESSIONS, { zone_id: 'z', reason: 'grant_revoked' }, undefined, 'missing_revocation_anchor'],
      ['a bad epoch', DELEGATIONS, { zone_id: 'z', epoch: '1e3' }, undefined, 'invalid_delegation_epoch'],
      ['no zone', DELEGATIONS, { epoch: '3' }, undefined, 'invalid_delegation_epoch'],
    ] as const)('%s', async (_, stream, fields, how, reason) => {
      const f = feed()
      await f.ensureGroups()
      const sig =
        how === 'other-key'
          ? caracalSignature(stream, fields, 'cd'.repeat(32))
          : how === 'cross'
            ? caracalSignature(stream === SESSIONS ? DELEGATIONS : SESSIONS, fields)
            : how
      const id = await publish(streams.port, stream, fields, { sig })
      expect(await f.pollOnce()).toMatchObject({ handled: 1, revoked: 0, epochs: 0, deadLettered: 1, pendingLeft: 0 })
      const [dead] = await deadLetters(streams.port, stream)
      expect(dead).toMatchObject({ source_id: id, reason })
      expect(JSON.parse(dead!['payload']!)).toMatchObject(fields)
      expect(await redisCommand(sinkRedis.port, 'DBSIZE')).toBe(0)
    })

    test('odd entries: a repeated field, a 1 MiB value; the feed goes on with the next message', async () => {
      const f = feed()
      await f.ensureGroups()
      const client = new RespClient(streams.port)
      const huge = 'x'.repeat(1024 * 1024)
      await client.command('XADD', SESSIONS, '*', 'session_id', 'a', 'session_id', 'b', '_sig', 'ab'.repeat(32))
      await client.command(
        'XADD',
        SESSIONS,
        '*',
        'session_id',
        huge,
        '_sig',
        caracalSignature(SESSIONS, { session_id: huge }),
      )
      client.close()
      await publish(streams.port, SESSIONS, { session_id: 'after' })
      expect(await f.pollOnce()).toMatchObject({ handled: 3, revoked: 1, deadLettered: 2, pendingLeft: 0 })
      const dead = await deadLetters(streams.port, SESSIONS)
      expect(dead.map((d) => d['reason'])).toEqual(['invalid_signature', 'missing_revocation_anchor'])
      expect(dead[1]!['payload']!.length).toBeLessThan(70_000)
      expect(await sinkGet(PREFIX + 'after')).toBe('1')
    })
  })

  test('a failed store write leaves the message pending; it is replayed after pendingIdleMs', async () => {
    const f = feed({ pendingIdleMs: 300 })
    await f.ensureGroups()
    await publish(streams.port, SESSIONS, { session_id: 'later' })
    sinkShim.fault = { status: 500 }
    expect(await f.pollOnce()).toMatchObject({ handled: 0, revoked: 0, pendingLeft: 1 })
    expect(await sinkGet(PREFIX + 'later')).toBeNull()
    sinkShim.fault = undefined
    // Not yet idle long enough: nothing is claimed.
    expect(await f.pollOnce()).toMatchObject({ handled: 0, pendingLeft: 1 })
    await new Promise((r) => setTimeout(r, 350))
    expect(await f.pollOnce()).toMatchObject({ handled: 1, revoked: 1, pendingLeft: 0 })
    expect(await sinkGet(PREFIX + 'later')).toBe('1')
  })

  test('another consumer replays what a dead consumer left pending', async () => {
    const dead = feed({ pendingIdleMs: 200 })
    await dead.ensureGroups()
    await publish(streams.port, SESSIONS, { session_id: 'orphan' })
    sinkShim.fault = { status: 500 }
    await dead.pollOnce()
    sinkShim.fault = undefined
    await new Promise((r) => setTimeout(r, 250))
    expect(await feed({ pendingIdleMs: 200 }).pollOnce()).toMatchObject({ handled: 1, revoked: 1, pendingLeft: 0 })
  })

  test('one message the store refuses does not hold back the others of its batch', async () => {
    const f = feed({ pendingIdleMs: 60_000 })
    await f.ensureGroups()
    await redisCommand(sinkRedis.port, 'SET', `${PREFIX}delegation-epoch:broken`, 'not-a-number')
    await publish(streams.port, DELEGATIONS, { zone_id: 'broken', epoch: '2' })
    await publish(streams.port, DELEGATIONS, { zone_id: 'fine', epoch: '2' })
    expect(await f.pollOnce()).toMatchObject({ handled: 1, epochs: 1, pendingLeft: 1 })
    expect(await sinkGet(`${PREFIX}delegation-epoch:fine`)).toBe('2')
  })

  test('a store that is down gets the batch and a few single writes, not one write per message', async () => {
    let writes = 0
    const down = {
      write: async () => {
        writes++
        throw new Error('store down')
      },
    }
    const f = feed({ store: down })
    await f.ensureGroups()
    for (let i = 0; i < 10; i++) await publish(streams.port, SESSIONS, { session_id: `down-${i}` })
    expect(await f.pollOnce()).toMatchObject({ handled: 0, revoked: 0, pendingLeft: 10 })
    expect(writes).toBe(1 + 3)
  })

  test('pollOnce respects maxMessages and picks up the rest on the next call', async () => {
    const f = feed({ batchSize: 7 })
    await f.ensureGroups()
    const client = new RespClient(streams.port)
    await client.batch(
      Array.from({ length: 50 }, (_, i) => {
        const fields = { session_id: `m-${i}` }
        return ['XADD', SESSIONS, '*', 'session_id', `m-${i}`, '_sig', caracalSignature(SESSIONS, fields)]
      }),
    )
    client.close()
    expect(await f.pollOnce({ maxMessages: 20 })).toMatchObject({ handled: 20, pendingLeft: 0 })
    expect(await f.pollOnce({ maxMessages: 1000 })).toMatchObject({ handled: 30, pendingLeft: 0 })
    expect(await redisCommand(sinkRedis.port, 'DBSIZE')).toBe(50)
  })

  test('a key that is not a stream: a clear error, no crash, and the feed recovers once it is fixed', async () => {
    await redisCommand(streams.port, 'SET', DELEGATIONS, 'not a stream')
    const errors: string[] = []
    const f = feed({ blockMs: 100, onError: (e) => errors.push(String((e as Error).message)) })
    await expect(f.ensureGroups()).rejects.toThrow(/WRONGTYPE/)
    const stop = new AbortController()
    const running = f.run({ signal: stop.signal })
    await until(
      async () => errors.length,
      (n) => n >= 2,
    )
    expect(errors.every((e) => /WRONGTYPE/.test(e))).toBe(true)
    await redisCommand(streams.port, 'DEL', DELEGATIONS)
    await publish(streams.port, SESSIONS, { session_id: 'after-fix' })
    const value = await until(
      () => sinkGet(PREFIX + 'after-fix'),
      (v) => v === '1',
      15_000,
    )
    stop.abort()
    await running
    expect(value).toBe('1')
  })

  test('the streams read over REST with an @upstash/redis client', async () => {
    const source = new Redis({
      url: streamShim.url,
      token: streamShim.token,
      retry: { retries: 0 },
      enableAutoPipelining: false,
      automaticDeserialization: false,
    })
    const f = feed({ source })
    await f.ensureGroups()
    // Values a JSON-parsing client would have changed: a number, a JSON array, a quoted string.
    const shapes = producerShapes('zone-rest')
    for (const s of shapes) await publish(streams.port, s.stream, s.fields)
    await publish(streams.port, SESSIONS, { session_id: '"quoted"', outbox_id: '12' })
    const r = await f.pollOnce()
    expect(r).toMatchObject({ handled: shapes.length + 1, deadLettered: 0, epochs: 2, pendingLeft: 0 })
    expect(await sinkGet(PREFIX + '"quoted"')).toBe('1')
  })

  test('run() on a REST source polls, handles what arrives and stops on abort', async () => {
    const source = new Redis({
      url: streamShim.url,
      token: streamShim.token,
      retry: { retries: 0 },
      enableAutoPipelining: false,
      automaticDeserialization: false,
    })
    const batches: number[] = []
    const stop = new AbortController()
    const running = feed({ source, blockMs: 50 }).run({ signal: stop.signal, onBatch: (b) => batches.push(b.handled) })
    await until(
      () => redisCommand(streams.port, 'EXISTS', DELEGATIONS),
      (n) => n === 1,
    )
    await publish(streams.port, SESSIONS, { session_id: 'polled' })
    expect(
      await until(
        () => sinkGet(PREFIX + 'polled'),
        (v) => v === '1',
      ),
    ).toBe('1')
    const t0 = Date.now()
    stop.abort()
    await running
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(batches).toEqual([1])
  })

  test('run() on a REST source rides out connection resets (fetch rejects) and goes on', async () => {
    const source = new Redis({
      url: streamShim.url,
      token: streamShim.token,
      retry: { retries: 0 },
      enableAutoPipelining: false,
      automaticDeserialization: false,
    })
    const errors: unknown[] = []
    const f = feed({ source, blockMs: 50, onError: (e) => errors.push(e) })
    await f.ensureGroups()
    streamShim.fault = { reset: true }
    const stop = new AbortController()
    const running = f.run({ signal: stop.signal })
    try {
      await until(
        async () => errors.length,
        (n) => n >= 2,
      )
    } finally {
      streamShim.fault = undefined
    }
    await publish(streams.port, SESSIONS, { session_id: 'after-reset' })
    const value = await until(
      () => sinkGet(PREFIX + 'after-reset'),
      (v) => v === '1',
      15_000,
    )
    stop.abort()
    await running
    expect(value).toBe('1')
  })

  test('an @upstash/redis source that JSON-parses values is refused at construction', () => {
    const source = new Redis({ url: streamShim.url, token: streamShim.token })
    expect(() => feed({ source })).toThrow(/automaticDeserialization: false/)
  })

  test('a node-redis client instance (RESP3) is used as it is and left open', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${streams.port}` })
    client.on('error', () => {})
    await client.connect()
    try {
      const f = feed({ source: client })
      await f.ensureGroups()
      await publish(streams.port, SESSIONS, { sid: 'via-client' })
      expect(await f.pollOnce()).toMatchObject({ handled: 1, revoked: 1 })
      await f.close()
      expect(client.isOpen).toBe(true)
    } finally {
      await client.close()
    }
  })

  test('a Caracal-SDK shaped store (sync methods, no lookup) is written, epochs guarded', async () => {
    const revoked = new Set<string>()
    const epochs = new Map<string, number>([['z', 10]])
    const store = {
      isRevoked: (a: string) => revoked.has(a),
      markRevoked: (a: string) => void revoked.add(a),
      currentDelegationEpoch: (z: string) => epochs.get(z),
      // Lowers as readily as it raises: the feed must not ask it to.
      markDelegationEpoch: (z: string, e: number) => void epochs.set(z, e),
    }
    const f = feed({ store })
    await f.ensureGroups()
    await publish(streams.port, SESSIONS, { root_sid: 'r1', session_id: 's1' })
    await publish(streams.port, DELEGATIONS, { zone_id: 'z', epoch: '4' })
    await publish(streams.port, DELEGATIONS, { zone_id: 'y', epoch: '4' })
    expect(await f.pollOnce()).toMatchObject({ handled: 3, revoked: 2, epochs: 2 })
    expect([...revoked].sort()).toEqual(['r1', 's1'])
    expect(Object.fromEntries(epochs)).toEqual({ z: 10, y: 4 })
  })
})

describe('RevocationFeed options', () => {
  const base = {
    source: 'redis://127.0.0.1:1',
    store: new MemoryRevocationStore(),
    hmacKey: TEST_HMAC_KEY,
    consumer: 'c',
  }
  test.each([
    ['an unknown key', { ...base, hmacKeys: 'x' }, /unknown option `hmacKeys`; did you mean `hmacKey`/],
    ['a short key', { ...base, hmacKey: 'ab'.repeat(31) }, /at least 32/],
    ['no key', { ...base, hmacKey: undefined }, /no hmacKey/],
    ['a key and insecureAcceptUnsigned', { ...base, insecureAcceptUnsigned: true }, /either/],
    ['no consumer', { ...base, consumer: undefined }, /no consumer/],
    ['a consumer with a space', { ...base, consumer: 'a b' }, /consumer/],
    ['an http source', { ...base, source: 'http://127.0.0.1:6379' }, /redis:\/\/ or rediss:\/\//],
    ['no store', { ...base, store: {} }, /markRevoked/],
    ['a zero pendingIdleMs', { ...base, pendingIdleMs: 0 }, /pendingIdleMs/],
    ['a fractional batchSize', { ...base, batchSize: 1.5 }, /batchSize/],
  ])('%s is a TypeError at construction', (_, options, message) => {
    expect(() => new RevocationFeed(options as RevocationFeedOptions)).toThrow(TypeError)
    expect(() => new RevocationFeed(options as RevocationFeedOptions)).toThrow(message)
  })

  test('the URL password never appears in an error', () => {
    expect(() => new RevocationFeed({ ...base, source: 'http://user:s3cret@host' })).toThrow(/\*\*\*/)
    expect(() => new RevocationFeed({ ...base, source: 'http://user:s3cret@host' })).not.toThrow(/s3cret/)
  })
})
