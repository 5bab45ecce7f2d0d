/**
 * The store contract for `MemoryRevocationStore`, shared by vitest on Node (test/unit) and the Bun
 * and Deno runners (test/runtime). Portable: no Node API.
 */
import { MemoryRevocationStore, type RevocationStatus } from 'caracal-fetch'
import type { ContractCase } from './assert.js'
import { storeContract, type WritableStore } from './stores.js'

/**
 * The cases, named `memory: ...`. A memory store has no backend to lose: the outage is a switch that
 * makes every call throw, as a store whose connection dropped would.
 */
export function memoryStoreContract(): ContractCase[] {
  let down = false
  const guard = (): void => {
    if (down) throw new Error('store down')
  }
  const create = (): WritableStore & {
    lookup(anchors: readonly string[], zone: string | undefined): RevocationStatus
  } => {
    const inner = new MemoryRevocationStore()
    return {
      isRevoked: (a) => (guard(), inner.isRevoked(a)),
      markRevoked: (a, ttl) => (guard(), inner.markRevoked(a, ttl)),
      currentDelegationEpoch: (z) => (guard(), inner.currentDelegationEpoch(z)),
      markDelegationEpoch: (z, e, ttl) => (guard(), inner.markDelegationEpoch(z, e, ttl)),
      lookup: (anchors, zone) => (guard(), inner.lookup(anchors, zone)),
    }
  }
  return storeContract({
    name: 'memory',
    create,
    async outage() {
      down = true
      return () => {
        down = false
      }
    },
    ttl: { shortTtlMs: 60 },
  })
}
