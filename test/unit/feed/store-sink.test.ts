/** The store -> sink adapter: which store method each write reaches, and when a batch counts as stored. */
import { describe, expect, test } from 'vitest'
import { MemoryRevocationStore } from '../../../src/stores/memory.js'
import type { RevocationWrite } from '../../../src/feed/sink.js'
import { isSink, isWritableStore, storeSink } from '../../../src/feed/store-sink.js'

const revoke = (anchor: string): RevocationWrite => ({ kind: 'revoke', anchor, ttlMs: 60_000 })
const epoch = (zoneId: string, n: number): RevocationWrite => ({ kind: 'epoch', zoneId, epoch: n, ttlMs: 60_000 })

describe('storeSink', () => {
  test('a memory store gets every anchor and the highest epoch per zone', async () => {
    const store = new MemoryRevocationStore()
    await storeSink(store).write([revoke('a'), epoch('z', 3), epoch('z', 9), epoch('z', 5), revoke('b')])
    expect(store.isRevoked('a') && store.isRevoked('b')).toBe(true)
    expect(store.currentDelegationEpoch('z')).toBe(9)
  })

  test('a store with markMany gets the whole batch in one call', async () => {
    const calls: (readonly RevocationWrite[])[] = []
    const store = {
      markRevoked: () => expect.unreachable(),
      markDelegationEpoch: () => expect.unreachable(),
      markMany: async (w: readonly RevocationWrite[]) => void calls.push(w),
    }
    await storeSink(store).write([revoke('a'), epoch('z', 1), epoch('z', 2)])
    expect(calls).toEqual([[revoke('a'), epoch('z', 2)]])
  })

  test('one failed write rejects the batch, only after the others have settled', async () => {
    const settled: string[] = []
    const store = {
      markRevoked: async (anchor: string) => {
        if (anchor === 'bad') throw new Error('store down')
        await new Promise((r) => setTimeout(r, 20))
        settled.push(anchor)
      },
      markDelegationEpoch: () => {
        throw new Error('sync failure')
      },
    }
    await expect(storeSink(store).write([revoke('bad'), revoke('slow')])).rejects.toThrow('store down')
    expect(settled).toEqual(['slow'])
    await expect(storeSink(store).write([epoch('z', 1)])).rejects.toThrow('sync failure')
  })

  test('what counts as a sink and as a store', () => {
    expect(isSink({ write: async () => {} })).toBe(true)
    expect(isSink(new MemoryRevocationStore())).toBe(false)
    expect(isWritableStore(new MemoryRevocationStore())).toBe(true)
    expect(isWritableStore({ isRevoked: () => false })).toBe(false)
  })
})
