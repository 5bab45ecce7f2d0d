/**
 * Faults a real backend cannot produce on demand, injected through hand-written stores: every one
 * must end in 503 temporarily_unavailable (never a pass, never a 401 that sends agents to re-mint,
 * never a crash), and the store's own bookkeeping must not drop a revocation.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal, type RevocationStore } from '../../../src/index.js'
import { UpstashRevocationStore } from '../../../src/upstash.js'
import { createDevIssuer, type DevIssuer } from '../../../src/testing.js'
import { DEV_ZONE, bearerRequest, trusting } from '../../support/fixture.js'

let dev: DevIssuer
const unhandled: unknown[] = []
const listener = (reason: unknown): void => void unhandled.push(reason)

beforeEach(async () => {
  dev = await createDevIssuer(DEV_ZONE)
  unhandled.length = 0
  process.on('unhandledRejection', listener)
})
afterEach(() => {
  process.off('unhandledRejection', listener)
})

function protect(revocations: RevocationStore) {
  let calls = 0
  const handler = withCaracal(
    () => {
      calls++
      return new Response('ok')
    },
    { ...trusting(dev), revocations },
  )
  const call = async (claims: Record<string, unknown> = {}) => handler(bearerRequest(await dev.mint(claims)))
  return { call, calls: () => calls }
}

async function expect503(res: Response): Promise<void> {
  expect(res.status).toBe(503)
  expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable')
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30))

describe('a store that fails part synchronously, part asynchronously', () => {
  test.each([
    [
      'isRevoked rejects, currentDelegationEpoch throws',
      {
        isRevoked: async () => {
          throw new Error('redis down')
        },
        currentDelegationEpoch: () => {
          throw new Error('redis down (sync)')
        },
      },
    ],
    [
      'isRevoked rejects for the first anchor and throws for the second',
      {
        isRevoked: (anchor: string) => {
          if (anchor === 'sid-1') return Promise.reject(new Error('redis down'))
          throw new Error('redis down (sync)')
        },
      },
    ],
  ])('%s: 503, and no unhandled rejection', async (_name, store) => {
    const p = protect(store as RevocationStore)
    await expect503(await p.call({ sid: 'sid-1', root_sid: 'root-1', delegation_graph_epoch: 1 }))
    await settle()
    expect(unhandled).toEqual([])
    expect(p.calls()).toBe(0)
  })
})

describe("a batch lookup's answer is checked before it is trusted", () => {
  const answers: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'none'],
    ['revoked: null', { revoked: null }],
    ['revoked: false', { revoked: false }],
    ["revoked: ''", { revoked: '' }],
    ["delegationEpoch: 'abc'", { delegationEpoch: 'abc' }],
    ["delegationEpoch: '5' (a string)", { delegationEpoch: '5' }],
    ['delegationEpoch: NaN', { delegationEpoch: Number.NaN }],
    ['delegationEpoch: -1', { delegationEpoch: -1 }],
    ['delegationEpoch: 1.5', { delegationEpoch: 1.5 }],
    ['delegationEpoch: {}', { delegationEpoch: {} }],
  ]
  for (const mode of ['sync', 'async'] as const) {
    test.each(answers)(`${mode} %s is 503`, async (_name, answer) => {
      const store = {
        isRevoked: () => false,
        lookup: () => (mode === 'sync' ? answer : Promise.resolve(answer)),
      } as unknown as RevocationStore
      const p = protect(store)
      await expect503(await p.call({ delegation_graph_epoch: 1 }))
      expect(p.calls()).toBe(0)
    })
  }

  test('well-formed answers still decide', async () => {
    const answer = (status: object) =>
      protect({ isRevoked: () => false, lookup: () => status } as unknown as RevocationStore)
    expect((await answer({}).call({ delegation_graph_epoch: 1 })).status).toBe(200)
    expect((await answer({ revoked: undefined, delegationEpoch: 1 }).call({ delegation_graph_epoch: 1 })).status).toBe(
      200,
    )
    expect((await answer({ delegationEpoch: 2 }).call({ delegation_graph_epoch: 1 })).status).toBe(401)
    expect((await answer({ revoked: 'sid-1' }).call({ sid: 'sid-1' })).status).toBe(401)
  })
})

test('a store that rejects with an object that cannot be turned into a string is 503, not 401', async () => {
  const reasons: string[] = []
  const handler = withCaracal(() => new Response('ok'), {
    ...trusting(dev),
    revocations: { isRevoked: () => Promise.reject(Object.create(null)) },
    onError: (e) => void reasons.push(e.reason),
  })
  const res = await handler(bearerRequest(await dev.mint()))
  await expect503(res)
  expect(reasons).toEqual(['revocation store failed: [object Object]'])
})

describe('MemoryRevocationStore when full', () => {
  test('renewing a mark or raising an epoch it holds evicts nothing', async () => {
    const store = new MemoryRevocationStore({ maxEntries: 2 })
    store.markRevoked('sid-a')
    store.markRevoked('sid-b')
    store.markRevoked('sid-b')
    expect(store.isRevoked('sid-a')).toBe(true)
    expect(store.size).toBe(2)
    const p = protect(store)
    expect((await p.call({ sid: 'sid-a' })).status).toBe(401)

    const epochs = new MemoryRevocationStore({ maxEntries: 2 })
    epochs.markRevoked('sid-a')
    epochs.markDelegationEpoch('zone-a', 1)
    epochs.markDelegationEpoch('zone-a', 2)
    expect(epochs.isRevoked('sid-a')).toBe(true)
    expect(epochs.currentDelegationEpoch('zone-a')).toBe(2)
  })

  test('a new mark still evicts the oldest once full (the bound holds)', () => {
    const store = new MemoryRevocationStore({ maxEntries: 2 })
    store.markRevoked('sid-a')
    store.markRevoked('sid-b')
    store.markRevoked('sid-c')
    expect(store.size).toBe(2)
    expect(store.isRevoked('sid-a')).toBe(false)
    expect(store.isRevoked('sid-c')).toBe(true)
  })
})

describe('deadlines a timer cannot wait for are refused at construction', () => {
  const base = () => ({ ...trusting(dev), revocations: new MemoryRevocationStore() })
  test.each(['revocationTimeoutMs', 'jwksTimeoutMs'])('%s above 2^31 - 1 ms', (name) => {
    expect(() => withCaracal(() => new Response('ok'), { ...base(), [name]: 2 ** 31 })).toThrow(
      new RegExp(`\`${name}\` must be a positive number of milliseconds, at most 2147483647`),
    )
    expect(() => withCaracal(() => new Response('ok'), { ...base(), [name]: 2 ** 31 - 1 })).not.toThrow()
  })
  test('UpstashRevocationStore timeoutMs above 2^31 - 1 ms', () => {
    const redis = { mget: async () => [] } as never
    expect(() => new UpstashRevocationStore(redis, { timeoutMs: 2 ** 31 })).toThrow(/at most 2147483647/)
  })
})
