/**
 * revocationReceiver through its public surface: a signed Request in, a Response out, and what the
 * store holds afterwards. Signatures are computed here with node:crypto, independently of the
 * module's own signing code, so a format slip on both sides cannot pass unnoticed. Store failures
 * are injected with hand-written stores (a real backend cannot fail on demand).
 */
import { createHmac } from 'node:crypto'
import { describe, expect, test, vi } from 'vitest'
import { MemoryRevocationStore } from '../../../src/stores/memory.js'
import {
  revocationReceiver,
  RevocationReceiverError,
  type RevocationReceiverOptions,
  type RevocationWrite,
} from '../../../src/feed.js'
import type { RevocationStore } from '../../../src/stores/types.js'

type WritableRevocationStore = Required<Pick<RevocationStore, 'markRevoked' | 'markDelegationEpoch'>>

const SECRET = 'receiver-test-secret-0123456789abcdef'
const OTHER_SECRET = 'another-secret-for-rotation-0123456789'
const NOW_MS = 1_800_000_000_000
const NOW_S = NOW_MS / 1000
const DAY = 86_400_000
const URL_ = 'https://api.example/caracal/revocations'

function sign(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`
}

interface PushOptions {
  secret?: string
  timestamp?: number | string
  signature?: string
  method?: string
  headers?: Record<string, string>
}

function push(body: string | Uint8Array, options: PushOptions = {}): Request {
  const timestamp = options.timestamp ?? NOW_S
  return new Request(URL_, {
    method: options.method ?? 'POST',
    headers: {
      'content-type': 'application/json',
      'x-caracal-timestamp': String(timestamp),
      'x-caracal-signature': options.signature ?? sign(options.secret ?? SECRET, timestamp, body),
      ...options.headers,
    },
    body,
  })
}

const batch = (writes: readonly unknown[]): string => JSON.stringify({ writes })
const revoke = (anchor: string, ttlMs = DAY): RevocationWrite => ({ kind: 'revoke', anchor, ttlMs })
const epoch = (zoneId: string, n: number, ttlMs = DAY): RevocationWrite => ({ kind: 'epoch', zoneId, epoch: n, ttlMs })

function setup(overrides: Partial<RevocationReceiverOptions> = {}) {
  const store = new MemoryRevocationStore({ now: () => NOW_MS })
  const errors: RevocationReceiverError[] = []
  const receive = revocationReceiver({
    store,
    secret: SECRET,
    now: () => NOW_MS,
    onError: (e) => void errors.push(e),
    ...overrides,
  })
  return { store, errors, receive }
}

async function answer(response: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('a valid batch', () => {
  test('is written to the store and answered 200 { applied: n }', async () => {
    const { store, receive, errors } = setup()
    const res = await receive(push(batch([revoke('sid-1'), revoke('edge-1'), epoch('zone-a', 7)])))
    expect(await answer(res)).toEqual({ status: 200, body: { applied: 3 } })
    expect(store.isRevoked('sid-1')).toBe(true)
    expect(store.isRevoked('edge-1')).toBe(true)
    expect(store.isRevoked('sid-2')).toBe(false)
    expect(store.currentDelegationEpoch('zone-a')).toBe(7)
    expect(errors).toEqual([])
  })

  test('an empty batch is answered 200 { applied: 0 }', async () => {
    const { receive } = setup()
    expect(await answer(await receive(push(batch([]))))).toEqual({ status: 200, body: { applied: 0 } })
  })

  test('the TTL of each write reaches the store', async () => {
    const calls: unknown[][] = []
    const store: WritableRevocationStore = {
      markRevoked: (...args) => void calls.push(['revoke', ...args]),
      markDelegationEpoch: (...args) => void calls.push(['epoch', ...args]),
    }
    const { receive } = setup({ store })
    await receive(push(batch([revoke('sid-1', 60_000), epoch('zone-a', 3, 120_000)])))
    expect(calls).toEqual([
      ['revoke', 'sid-1', 60_000],
      ['epoch', 'zone-a', 3, 120_000],
    ])
  })

  test('an async store is awaited before the answer', async () => {
    let stored = false
    const store: WritableRevocationStore = {
      markRevoked: () => new Promise<void>((resolve) => setTimeout(() => ((stored = true), resolve()), 5)),
      markDelegationEpoch: async () => undefined,
    }
    const { receive } = setup({ store })
    const res = await receive(push(batch([revoke('sid-1')])))
    expect(res.status).toBe(200)
    expect(stored).toBe(true)
  })

  test('replaying the same batch is harmless, and an older epoch never lowers the stored one', async () => {
    const { store, receive } = setup()
    const body = batch([revoke('sid-1'), epoch('zone-a', 9)])
    expect((await receive(push(body))).status).toBe(200)
    expect((await receive(push(body))).status).toBe(200)
    expect((await receive(push(batch([epoch('zone-a', 4)])))).status).toBe(200)
    expect(store.isRevoked('sid-1')).toBe(true)
    expect(store.currentDelegationEpoch('zone-a')).toBe(9)
  })

  test('two epochs of one zone in a batch: the store sees only the highest (no race between them)', async () => {
    const calls: unknown[][] = []
    const store: WritableRevocationStore = {
      markRevoked: () => undefined,
      markDelegationEpoch: (...args) => void calls.push(args),
    }
    const { receive } = setup({ store })
    const res = await receive(push(batch([epoch('zone-a', 8), epoch('zone-a', 3), epoch('zone-b', 1)])))
    expect(await answer(res)).toEqual({ status: 200, body: { applied: 3 } })
    expect(calls).toEqual([
      ['zone-a', 8, DAY],
      ['zone-b', 1, DAY],
    ])
  })

  test('any of several v1 signatures may match, and the receiver may hold several secrets (rotation)', async () => {
    const { receive, store } = setup({ secret: [OTHER_SECRET, SECRET] })
    const body = batch([revoke('sid-rot')])
    const both = `v1=${'0'.repeat(64)}, ${sign(SECRET, NOW_S, body)}`
    expect((await receive(push(body, { signature: both }))).status).toBe(200)
    expect((await receive(push(batch([revoke('sid-new')]), { secret: OTHER_SECRET }))).status).toBe(200)
    expect(store.isRevoked('sid-rot') && store.isRevoked('sid-new')).toBe(true)
  })

  test('a timestamp within the tolerance either side of the clock is accepted', async () => {
    const { receive } = setup()
    expect((await receive(push(batch([]), { timestamp: NOW_S - 300 }))).status).toBe(200)
    expect((await receive(push(batch([]), { timestamp: NOW_S + 300 }))).status).toBe(200)
  })
})

describe('refused batches write nothing', () => {
  const body = batch([revoke('sid-x'), epoch('zone-x', 5)])

  const cases: [string, () => Request, number, string][] = [
    ['signed with another secret', () => push(body, { secret: OTHER_SECRET }), 401, 'invalid_signature'],
    ['without a signature', () => push(body, { headers: { 'x-caracal-signature': '' } }), 401, 'invalid_signature'],
    [
      'signed over another body',
      () => push(body, { signature: sign(SECRET, NOW_S, batch([])) }),
      401,
      'invalid_signature',
    ],
    [
      'signed for another timestamp',
      () => push(body, { signature: sign(SECRET, NOW_S - 1, body) }),
      401,
      'invalid_signature',
    ],
    [
      'with an uppercase hex signature',
      () => push(body, { signature: sign(SECRET, NOW_S, body).toUpperCase().replace('V1=', 'v1=') }),
      401,
      'invalid_signature',
    ],
    [
      'with an unknown scheme only',
      () => push(body, { signature: sign(SECRET, NOW_S, body).replace('v1=', 'v0=') }),
      401,
      'invalid_signature',
    ],
    ['without a timestamp', () => push(body, { headers: { 'x-caracal-timestamp': '' } }), 401, 'invalid_signature'],
    [
      'with a non-decimal timestamp (signed as sent)',
      () => push(body, { timestamp: `${NOW_S}.0` }),
      401,
      'invalid_signature',
    ],
    ['with a timestamp 301 s old', () => push(body, { timestamp: NOW_S - 301 }), 401, 'stale_timestamp'],
    ['with a timestamp 301 s ahead', () => push(body, { timestamp: NOW_S + 301 }), 401, 'stale_timestamp'],
    ['sent with GET', () => new Request(URL_), 405, 'method_not_allowed'],
  ]
  test.each(cases)('%s', async (_name, request, status, error) => {
    const { store, receive, errors } = setup()
    const res = await receive(request())
    expect(await answer(res)).toEqual({ status, body: { error } })
    if (status === 405) expect(res.headers.get('allow')).toBe('POST')
    expect(store.isRevoked('sid-x')).toBe(false)
    expect(store.currentDelegationEpoch('zone-x')).toBeUndefined()
    expect(errors.map((e) => [e.code, e.status])).toEqual([[error, status]])
  })

  test('a body over maxBodyBytes gets 413, declared or streamed without a length', async () => {
    const { store, receive } = setup({ maxBodyBytes: 64 })
    const big = batch([revoke('sid-x'), revoke('a'.repeat(64))])
    expect((await answer(await receive(push(big)))).body).toMatchObject({ error: 'payload_too_large' })
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(big.slice(i * 10, i * 10 + 10)))
        controller.close()
      },
    })
    const streamed = new Request(URL_, {
      method: 'POST',
      headers: { 'x-caracal-timestamp': String(NOW_S), 'x-caracal-signature': sign(SECRET, NOW_S, big) },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(streamed.headers.get('content-length')).toBeNull()
    expect((await receive(streamed)).status).toBe(413)
    expect(store.isRevoked('sid-x')).toBe(false)
  })

  test('the default body bound is 1 MiB', async () => {
    const { receive } = setup()
    const big = batch([revoke('sid-x'.padEnd(200, 'x'))]).padEnd(1024 * 1024 + 1, ' ')
    expect((await receive(push(big))).status).toBe(413)
    const fits = batch([revoke('sid-x'.padEnd(200, 'x'))]).padEnd(1024 * 1024, ' ')
    expect((await receive(push(fits))).status).toBe(200)
  })

  test('more writes than maxWrites get 413 with the limit named', async () => {
    const { store, receive } = setup({ maxWrites: 2 })
    const { status, body: answered } = await answer(
      await receive(push(batch([revoke('a'), revoke('b'), revoke('sid-x')]))),
    )
    expect(status).toBe(413)
    expect(answered).toMatchObject({
      error: 'payload_too_large',
      error_description: expect.stringMatching(/at most 2/),
    })
    expect(store.isRevoked('a')).toBe(false)
  })

  const malformed: [string, string | Uint8Array, RegExp][] = [
    ['not JSON', '{"writes": [', /not JSON/],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), /not UTF-8/],
    ['an array', '[]', /must be an object/],
    ['null', 'null', /must be an object/],
    ['no writes', '{}', /`writes` must be an array/],
    ['writes not an array', '{"writes": {"kind": "revoke"}}', /`writes` must be an array/],
    ['an unknown top-level field', batch([]).replace('{', '{"extra": 1, '), /unknown field `extra`/],
    ['a write that is not an object', batch([revoke('sid-x'), 'sid-y']), /writes\[1\] is not an object/],
    ['an unknown kind', batch([{ kind: 'delete', anchor: 'a', ttlMs: 1 }]), /`kind`/],
    ['an empty anchor', batch([revoke('')]), /`anchor` must be a non-empty string/],
    ['a numeric anchor', batch([{ kind: 'revoke', anchor: 5, ttlMs: DAY }]), /`anchor`/],
    ['an anchor over 256 characters', batch([revoke('a'.repeat(257))]), /longer than 256/],
    ['an anchor naming an epoch key', batch([revoke('delegation-epoch:zone-a')]), /delegation-epoch/],
    ['a zero TTL', batch([revoke('sid-x', 0)]), /`ttlMs`/],
    ['a fractional TTL', batch([revoke('sid-x', 1.5)]), /`ttlMs`/],
    ['a missing TTL', batch([{ kind: 'revoke', anchor: 'sid-x' }]), /`ttlMs`/],
    ['an extra write field', batch([{ ...revoke('sid-x'), zoneId: 'z' }]), /unknown field `zoneId`/],
    ['a negative epoch', batch([epoch('zone-x', -1)]), /`epoch`/],
    ['an epoch as a string', batch([{ kind: 'epoch', zoneId: 'z', epoch: '5', ttlMs: DAY }]), /`epoch`/],
    ['an unsafe epoch', batch([epoch('zone-x', 2 ** 53)]), /`epoch`/],
    ['an empty zone', batch([epoch('', 1)]), /`zoneId`/],
  ]
  test.each(malformed)('a body with %s gets 400 invalid_batch, and the problem', async (_name, body, problem) => {
    const { store, receive } = setup()
    const { status, body: answered } = await answer(await receive(push(body)))
    expect(status).toBe(400)
    expect(answered['error']).toBe('invalid_batch')
    expect(answered['error_description']).toMatch(problem)
    expect(store.isRevoked('sid-x')).toBe(false)
  })
})

describe('a store failure', () => {
  function failingOn(n: number, how: 'throw' | 'reject') {
    const written: string[] = []
    let calls = 0
    const fail = (anchor: string): void | Promise<void> => {
      if (++calls === n) {
        const error = new Error('kv down')
        if (how === 'throw') throw error
        return Promise.reject(error)
      }
      written.push(anchor)
      return how === 'reject' ? Promise.resolve() : undefined
    }
    const store: WritableRevocationStore = { markRevoked: fail, markDelegationEpoch: () => undefined }
    return { store, written }
  }

  test.each(['throw', 'reject'] as const)(
    'a store that fails (%s) on one write gets 503 with Retry-After, never 2xx',
    async (how) => {
      const { store, written } = failingOn(2, how)
      const { receive, errors } = setup({ store })
      const res = await receive(push(batch([revoke('a'), revoke('b'), revoke('c')])))
      expect(await answer(res)).toEqual({ status: 503, body: { error: 'store_unavailable' } })
      expect(res.headers.get('retry-after')).toBe('1')
      expect(written).not.toContain('b')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toBeInstanceOf(RevocationReceiverError)
      expect(errors[0]!.message).toMatch(/kv down/)
      expect((errors[0]!.cause as Error).message).toBe('kv down')
    },
  )

  test('the default onError logs it in one line; other refusals are not logged', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const { store } = failingOn(1, 'reject')
      const receive = revocationReceiver({ store, secret: SECRET, now: () => NOW_MS })
      expect((await receive(push(batch([revoke('a')])))).status).toBe(503)
      expect((await receive(push(batch([]), { secret: OTHER_SECRET }))).status).toBe(401)
      expect(log.mock.calls).toEqual([['revocationReceiver: store write failed: kv down']])
    } finally {
      log.mockRestore()
    }
  })

  test('an onError that throws does not change the answer', async () => {
    const { receive } = setup({
      onError: () => {
        throw new Error('hook bug')
      },
    })
    expect((await receive(push(batch([]), { secret: OTHER_SECRET }))).status).toBe(401)
  })
})

describe('construction', () => {
  const store = new MemoryRevocationStore()
  const cases: [string, unknown, RegExp][] = [
    ['no options', undefined, /options are required/],
    ['a secret under 32 bytes', { store, secret: 'x'.repeat(31) }, /at least 32 bytes \(it has 31\)/],
    ['no secret', { store }, /`secret` is required/],
    ['an empty list of secrets', { store, secret: [] }, /`secret` is required/],
    ['a short secret in the list', { store, secret: [SECRET, 'short'] }, /`secret\[1\]` must be at least 32 bytes/],
    ['a secret that is not a string', { store, secret: 42 }, /`secret` is required/],
    ['no store', { secret: SECRET }, /`store` must have markRevoked\(\) and markDelegationEpoch\(\)/],
    ['a store without markDelegationEpoch', { store: { markRevoked() {} }, secret: SECRET }, /markDelegationEpoch/],
    [
      'a misspelt option',
      { store, secret: SECRET, maxBodyByte: 10 },
      /unknown option `maxBodyByte`; did you mean `maxBodyBytes`\?/,
    ],
    ['a zero maxBodyBytes', { store, secret: SECRET, maxBodyBytes: 0 }, /`maxBodyBytes` must be a positive integer/],
    ['a fractional toleranceSeconds', { store, secret: SECRET, toleranceSeconds: 1.5 }, /`toleranceSeconds`/],
    ['an onError that is not a function', { store, secret: SECRET, onError: 'log' }, /`onError` must be a function/],
  ]
  test.each(cases)('%s is a TypeError', (_name, options, message) => {
    expect(() => revocationReceiver(options as RevocationReceiverOptions)).toThrow(TypeError)
    expect(() => revocationReceiver(options as RevocationReceiverOptions)).toThrow(message)
  })

  test('the caller’s options are not changed', () => {
    const options = { store, secret: [SECRET] }
    revocationReceiver(options)
    expect(options).toEqual({ store, secret: [SECRET] })
  })
})
