/**
 * KvRevocationStore inside workerd on a real local KV namespace, through the Worker of worker.ts
 * (`withCaracal(handler, { revocations: (env) => new KvRevocationStore(env.REVOCATIONS) })`).
 * Revocations are written straight to KV with Caracal's key names, as Caracal's own consumer would.
 */
import { withCaracal } from 'caracal-fetch'
import { KvRevocationStore, type KvGetOptions, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'
import { beforeEach, describe, expect, test } from 'vitest'
import { AUDIENCE, ZONE_ID } from './constants.js'
import { PREFIX, call, errorOf, mint, resetSeen, seen, testEnv, unique } from './helpers.js'

const kv = (): KvNamespaceLike => testEnv.REVOCATIONS
const epochKeyOf = (zone: string): string => `${PREFIX}delegation-epoch:${zone}`

function anchors(): { sid: string; root_sid: string; agent_session_id: string; delegation_edge_id: string } {
  return {
    sid: unique('sid'),
    root_sid: unique('root'),
    agent_session_id: unique('as'),
    delegation_edge_id: unique('edge'),
  }
}

beforeEach(resetSeen)

describe('revocations written to KV reach the Worker', () => {
  for (const kind of ['sid', 'root_sid', 'agent_session_id', 'delegation_edge_id'] as const) {
    test(`a revoked ${kind} is 401 session_revoked; a mandate with other anchors still passes`, async () => {
      const mine = anchors()
      const token = await mint(mine)
      const bystander = await mint(anchors())
      expect((await call('/kv/x', token)).status).toBe(200)
      await kv().put(`${PREFIX}${mine[kind]}`, '1')
      const res = await call('/kv/x', token)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="session_revoked"/)
      expect(await errorOf(res)).toBe('session_revoked')
      expect((await call('/kv/x', bystander)).status).toBe(200)
      expect((await seen()).errors).toEqual([
        expect.objectContaining({ route: 'kv', code: 'session_revoked', reason: expect.stringContaining(mine[kind]) }),
      ])
    })
  }

  test('any value at the key counts as revoked, not only "1"', async () => {
    const mine = anchors()
    await kv().put(`${PREFIX}${mine.sid}`, 'revoked-by-operator')
    expect(await errorOf(await call('/kv/x', await mint(mine)))).toBe('session_revoked')
  })

  test('markRevoked through the store is seen by the Worker; its TTL is rounded up to KV minimum of 60 s', async () => {
    const mine = anchors()
    const token = await mint(mine)
    const store = new KvRevocationStore(kv())
    const before = Date.now() / 1000
    await store.markRevoked(mine.agent_session_id, 1_000)
    expect(await errorOf(await call('/kv/x', token))).toBe('session_revoked')
    const listed = await testEnv.REVOCATIONS.list({ prefix: `${PREFIX}${mine.agent_session_id}` })
    expect(listed.keys).toHaveLength(1)
    const expiration = listed.keys[0]!.expiration!
    expect(expiration).toBeGreaterThanOrEqual(Math.floor(before) + 59)
    expect(expiration).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 61)
    expect(await store.isRevoked(mine.agent_session_id)).toBe(true)
  })

  test('the default TTL is 24 h, and a custom keyPrefix is honoured', async () => {
    const mine = anchors()
    await new KvRevocationStore(kv()).markRevoked(mine.sid)
    const [key] = (await testEnv.REVOCATIONS.list({ prefix: `${PREFIX}${mine.sid}` })).keys
    expect(key!.expiration! - Date.now() / 1000).toBeGreaterThan(86_400 - 5)

    const custom = new KvRevocationStore(kv(), { keyPrefix: 'tenant-a:revoked:' })
    await custom.markRevoked(mine.root_sid)
    expect(await kv().get(`tenant-a:revoked:${mine.root_sid}`)).toBe('1')
    expect(await kv().get(`${PREFIX}${mine.root_sid}`)).toBeNull()
    expect(await custom.lookup([mine.sid, mine.root_sid], undefined)).toEqual({
      revoked: mine.root_sid,
      delegationEpoch: undefined,
    })
  })
})

describe('delegation epochs', () => {
  test('an epoch written to KV makes older mandates of the zone delegation_stale, newer and unclaimed ones pass', async () => {
    // The Worker's zone is fixed by its vars, so this is the one test that writes its epoch.
    await kv().put(epochKeyOf(ZONE_ID), '5')
    const at = async (epoch: number): Promise<Response> =>
      call('/kv/x', await mint({ ...anchors(), delegation_graph_epoch: epoch }))
    expect(await errorOf(await at(4))).toBe('delegation_stale')
    expect((await at(5)).status).toBe(200)
    expect((await at(6)).status).toBe(200)
    expect((await call('/kv/x', await mint(anchors()))).status).toBe(200)

    // A lower value that wins a race in KV (a stale writer) does not lower what this isolate enforces.
    await kv().put(epochKeyOf(ZONE_ID), '3')
    expect(await errorOf(await at(4))).toBe('delegation_stale')
    // The next raise through the store writes the highest epoch it knows, repairing the key.
    await new KvRevocationStore(kv()).markDelegationEpoch(ZONE_ID, 4)
    expect(await kv().get(epochKeyOf(ZONE_ID))).toBe('5')
  })

  test('markDelegationEpoch only raises, never writes a lower or equal epoch, and repairs a regressed key', async () => {
    const zone = unique('zone')
    const calls: string[] = []
    const recorded: KvNamespaceLike = {
      get: (key, options) => kv().get(key, options),
      put: (key, value, options) => (calls.push(`${key}=${value}`), kv().put(key, value, options)),
    }
    const store = new KvRevocationStore(recorded)
    expect(await store.currentDelegationEpoch(zone)).toBeUndefined()
    await store.markDelegationEpoch(zone, 7)
    await store.markDelegationEpoch(zone, 3)
    await store.markDelegationEpoch(zone, 7)
    expect(calls).toEqual([`${epochKeyOf(zone)}=7`])
    expect(await kv().get(epochKeyOf(zone))).toBe('7')
    expect(await store.currentDelegationEpoch(zone)).toBe(7)

    await kv().put(epochKeyOf(zone), '2') // a concurrent lower write won
    expect(await store.currentDelegationEpoch(zone)).toBe(7)
    expect((await store.lookup([unique('sid')], zone)).delegationEpoch).toBe(7)
    expect(await new KvRevocationStore(recorded).currentDelegationEpoch(zone)).toBe(7) // same binding, new store
    await store.markDelegationEpoch(zone, 4)
    expect(await kv().get(epochKeyOf(zone))).toBe('7')
    await store.markDelegationEpoch(zone, 9)
    expect(await kv().get(epochKeyOf(zone))).toBe('9')

    const list = await testEnv.REVOCATIONS.list({ prefix: epochKeyOf(zone) })
    expect(list.keys[0]!.expiration! - Date.now() / 1000).toBeGreaterThan(86_400 - 5)
  })

  test('after the epoch key lapses in KV, an isolate that saw the epoch keeps enforcing it (the safe direction)', async () => {
    const zone = unique('zone')
    const store = new KvRevocationStore(kv())
    await store.markDelegationEpoch(zone, 6)
    await testEnv.REVOCATIONS.delete(epochKeyOf(zone)) // what KV does when expirationTtl lapses
    expect(await kv().get(epochKeyOf(zone))).toBeNull()
    expect(await store.currentDelegationEpoch(zone)).toBe(6)
    expect((await new KvRevocationStore(kv()).lookup([unique('sid')], zone)).delegationEpoch).toBe(6)
    // A later write from this isolate, even a lower one, puts the remembered epoch back.
    await store.markDelegationEpoch(zone, 2)
    expect(await kv().get(epochKeyOf(zone))).toBe('6')
  })

  test("markDelegationEpoch reads the stored epoch without the store's cacheTtl; lookups keep it", async () => {
    const reads: { keys: string | string[]; options: KvGetOptions | undefined }[] = []
    const spy: KvNamespaceLike = {
      get: (keys, options) => (reads.push({ keys, options }), kv().get(keys, options)),
      put: (key, value, options) => kv().put(key, value, options),
    }
    const zone = unique('zone')
    const store = new KvRevocationStore(spy, { cacheTtl: 300 })
    await store.markDelegationEpoch(zone, 3)
    await store.markDelegationEpoch(zone, 1)
    await store.lookup([], zone)
    await store.currentDelegationEpoch(zone)
    expect(reads.map((r) => r.options)).toEqual([
      { type: 'text' },
      { type: 'text' },
      { type: 'text', cacheTtl: 300 },
      { type: 'text', cacheTtl: 300 },
    ])
  })

  test('bad arguments are TypeErrors on every method, reads included (as on the Upstash store)', async () => {
    const store = new KvRevocationStore(kv())
    for (const [what, call] of [
      ['isRevoked empty', () => store.isRevoked('')],
      ['isRevoked non-string', () => store.isRevoked(7 as never)],
      ['currentDelegationEpoch empty', () => store.currentDelegationEpoch('')],
      ['currentDelegationEpoch non-string', () => store.currentDelegationEpoch(undefined as never)],
      ['markRevoked empty', () => store.markRevoked('')],
      ['markRevoked ttl 0', () => store.markRevoked('a', 0)],
      ['markDelegationEpoch empty zone', () => store.markDelegationEpoch('', 1)],
      ['markDelegationEpoch negative', () => store.markDelegationEpoch('z', -1)],
      ['markDelegationEpoch fraction', () => store.markDelegationEpoch('z', 1.5)],
    ] as const) {
      await expect(call(), what).rejects.toThrow(TypeError)
    }
    await expect(store.isRevoked('')).rejects.toThrow('KvRevocationStore.isRevoked: anchor must be a non-empty string')
    await expect(store.currentDelegationEpoch('')).rejects.toThrow(
      'KvRevocationStore.currentDelegationEpoch: zoneId must be a non-empty string',
    )
  })

  test('an epoch KV holds but this isolate never saw (written elsewhere) is read as is', async () => {
    const zone = unique('zone')
    await kv().put(epochKeyOf(zone), '12')
    expect(await new KvRevocationStore(kv()).currentDelegationEpoch(zone)).toBe(12)
    await kv().put(epochKeyOf(zone), '13')
    expect((await new KvRevocationStore(kv()).lookup([], zone)).delegationEpoch).toBe(13)
  })
})

describe('one KV read per verification', () => {
  const shapes: [string, (a: ReturnType<typeof anchors>) => Record<string, unknown>, number][] = [
    ['sid and root_sid', (a) => ({ sid: a.sid, root_sid: a.root_sid }), 2],
    ['an agent mandate', (a) => ({ sid: a.sid, root_sid: a.root_sid, agent_session_id: a.agent_session_id }), 3],
    ['a delegated agent mandate', (a) => ({ ...a }), 4],
    ['a delegated mandate with an epoch claim', (a) => ({ ...a, delegation_graph_epoch: 100 }), 5],
  ]
  for (const [what, claims, keys] of shapes) {
    test(`${what}: one bulk get of ${keys} keys, no cacheTtl by default, also on a cache hit`, async () => {
      const a = anchors()
      const token = await mint(claims(a))
      for (let i = 0; i < 3; i++) expect((await call('/counted/x', token)).status).toBe(200)
      const { calls } = await seen()
      expect(calls).toHaveLength(3)
      const expected = [a.sid, a.root_sid, a.agent_session_id, a.delegation_edge_id]
        .slice(0, Math.min(keys, 4))
        .map((anchor) => `${PREFIX}${anchor}`)
      if (keys === 5) expected.push(epochKeyOf(ZONE_ID))
      for (const c of calls) {
        expect(c.method).toBe('get')
        expect(c.keys).toEqual(expected)
        expect(c.options).toEqual({ type: 'text' })
      }
    })
  }

  test('cacheTtl is passed to every read; below KV minimum of 30 s it is refused at construction', async () => {
    const options: (KvGetOptions | undefined)[] = []
    const spy: KvNamespaceLike = {
      get: (key, o) => (options.push(o), kv().get(key, o)),
      put: (key, value, o) => kv().put(key, value, o),
    }
    const store = new KvRevocationStore(spy, { cacheTtl: 45.5 })
    await store.lookup([unique('sid')], unique('zone'))
    await store.isRevoked(unique('sid'))
    expect(options).toEqual([
      { type: 'text', cacheTtl: 46 },
      { type: 'text', cacheTtl: 46 },
    ])
    expect(() => new KvRevocationStore(kv(), { cacheTtl: 29 })).toThrow(/cacheTtl .* at least 30/)
    expect(() => new KvRevocationStore(kv(), { ttlMs: 0 })).toThrow(TypeError)
    expect(() => new KvRevocationStore(kv(), { keyPrefix: '' })).toThrow(/keyPrefix/)
  })

  test('without bulk reads (an array key read as one string) it falls back to parallel gets, once detected', async () => {
    const a = anchors()
    const token = await mint({ sid: a.sid, root_sid: a.root_sid })
    expect((await call('/nobulk/x', token)).status).toBe(200)
    const first = (await seen()).calls
    expect(first.map((c) => c.keys)).toEqual([
      [`${PREFIX}${a.sid}`, `${PREFIX}${a.root_sid}`],
      `${PREFIX}${a.sid}`,
      `${PREFIX}${a.root_sid}`,
    ])
    await resetSeen()
    await kv().put(`${PREFIX}${a.root_sid}`, '1')
    expect(await errorOf(await call('/nobulk/x', token))).toBe('session_revoked')
    expect((await seen()).calls.map((c) => c.keys)).toEqual([`${PREFIX}${a.sid}`, `${PREFIX}${a.root_sid}`])
  })
})

describe('a KV failure fails closed with 503', () => {
  for (const route of ['throws', 'rejects', 'hangs']) {
    test(`a namespace whose get ${route} gives 503 temporarily_unavailable with Retry-After`, async () => {
      const started = Date.now()
      const res = await call(`/${route}/x`, await mint(anchors()))
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(res.headers.get('www-authenticate')).toBeNull()
      expect(await errorOf(res)).toBe('temporarily_unavailable')
      if (route === 'hangs') expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      const { errors } = await seen()
      expect(errors).toEqual([expect.objectContaining({ code: 'temporarily_unavailable' })])
      expect(errors[0]!.reason).toMatch(route === 'hangs' ? /no answer within 300 ms/ : /KV GET failed/)
    })
  }

  test('an unreadable epoch in KV is 503 for mandates that carry an epoch claim', async () => {
    const key = epochKeyOf(ZONE_ID)
    const saved = await kv().get(key)
    await kv().put(key, 'not-a-number')
    try {
      expect(await errorOf(await call('/kv/x', await mint({ ...anchors(), delegation_graph_epoch: 1_000 })))).toBe(
        'temporarily_unavailable',
      )
      expect((await call('/kv/x', await mint(anchors()))).status).toBe(200)
    } finally {
      if (saved === null) await testEnv.REVOCATIONS.delete(key)
      else await kv().put(key, saved as string)
    }
  })

  test('a missing binding is a 500 server_misconfigured naming the fix, never a pass', async () => {
    const reasons: string[] = []
    const handler = withCaracal(() => new Response('handler ran'), {
      revocations: (env: { NOT_BOUND?: KvNamespaceLike }) => new KvRevocationStore(env.NOT_BOUND!),
      onError: (e) => reasons.push(`${e.code} ${e.reason} ${String((e.cause as Error)?.message)}`),
    })
    const res = await handler(
      new Request('https://api.test/x', { headers: { authorization: `Bearer ${await mint()}` } }),
      testEnv,
    )
    expect(res.status).toBe(500)
    expect(await errorOf(res)).toBe('server_misconfigured')
    expect(reasons[0]).toMatch(/server_misconfigured .*kv_namespaces/)
  })
})

test('the Worker answers for its own audience only (vars are read per request)', async () => {
  expect(await errorOf(await call('/kv/x', await mint({ aud: ['resource://other'] })))).toBe('invalid_token')
  expect((await call('/kv/x', await mint({ aud: [AUDIENCE] }))).status).toBe(200)
})
