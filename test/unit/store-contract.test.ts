import { MemoryRevocationStore, type RevocationStatus } from 'caracal-fetch'
import { test } from 'vitest'
import { storeContract, type WritableStore } from '../contract/stores.js'

// A memory store has no backend to lose: the outage is a switch that makes every call throw, as a
// store whose connection dropped would.
let down = false
const guard = (): void => {
  if (down) throw new Error('store down')
}

function memoryStore(): WritableStore & {
  lookup(anchors: readonly string[], zone: string | undefined): RevocationStatus
} {
  const inner = new MemoryRevocationStore()
  return {
    isRevoked: (a) => (guard(), inner.isRevoked(a)),
    markRevoked: (a, ttl) => (guard(), inner.markRevoked(a, ttl)),
    currentDelegationEpoch: (z) => (guard(), inner.currentDelegationEpoch(z)),
    markDelegationEpoch: (z, e, ttl) => (guard(), inner.markDelegationEpoch(z, e, ttl)),
    lookup: (anchors, zone) => (guard(), inner.lookup(anchors, zone)),
  }
}

for (const c of storeContract({
  name: 'memory',
  create: memoryStore,
  async outage() {
    down = true
    return () => {
      down = false
    }
  },
  ttl: { shortTtlMs: 60 },
})) {
  test(c.name, () => c.run())
}
