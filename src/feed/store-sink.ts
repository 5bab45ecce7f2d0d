/**
 * Adapts a revocation store to the feed's `RevocationSink`. A store that takes a whole batch at once
 * (`markMany`, as `UpstashRevocationStore` does in one request) gets it; any other store gets one
 * `markRevoked` / `markDelegationEpoch` call per write, in parallel, sync or async alike (memory,
 * KV, a store written for Caracal's SDKs).
 */
import type { RevocationStore } from '../stores/types.js'
import type { RevocationSink, RevocationWrite } from './sink.js'

/** A store the feed can write: Caracal's mark methods, optionally a batch `markMany`. */
export type WritableRevocationStore = Pick<RevocationStore, 'markRevoked' | 'markDelegationEpoch'> & {
  markMany?(writes: readonly RevocationWrite[]): Promise<void>
  currentDelegationEpoch?: RevocationStore['currentDelegationEpoch']
  lookup?: unknown
}

/** Whether `value` is already a sink (an object with `write`). */
export function isSink(value: unknown): value is RevocationSink {
  return typeof value === 'object' && value !== null && typeof (value as { write?: unknown }).write === 'function'
}

/** Whether `value` has both mark methods the feed writes with. */
export function isWritableStore(value: unknown): value is WritableRevocationStore {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v['markRevoked'] === 'function' && typeof v['markDelegationEpoch'] === 'function'
}

/** Per zone, only the highest epoch of a batch needs writing. */
function collapseEpochs(writes: readonly RevocationWrite[]): RevocationWrite[] {
  const highest = new Map<string, RevocationWrite & { kind: 'epoch' }>()
  const out: RevocationWrite[] = []
  for (const write of writes) {
    if (write.kind === 'revoke') out.push(write)
    else if ((highest.get(write.zoneId)?.epoch ?? -1) < write.epoch) highest.set(write.zoneId, write)
  }
  return [...out, ...highest.values()]
}

/**
 * The sink writing into `store`. Stores without a `lookup` (not caracal-fetch's own, which raise
 * epochs atomically) are read before an epoch is written, so a lower epoch never replaces a higher one.
 */
export function storeSink(store: WritableRevocationStore): RevocationSink {
  const markMany = store.markMany
  if (typeof markMany === 'function') {
    return { write: async (writes) => (writes.length === 0 ? undefined : markMany.call(store, collapseEpochs(writes))) }
  }
  const guardEpochs = typeof store.lookup !== 'function' && typeof store.currentDelegationEpoch === 'function'
  const writeOne = async (write: RevocationWrite): Promise<void> => {
    if (write.kind === 'revoke') return store.markRevoked!(write.anchor, write.ttlMs)
    if (guardEpochs) {
      const current = await store.currentDelegationEpoch!(write.zoneId)
      if (typeof current === 'number' && current >= write.epoch) return
    }
    return store.markDelegationEpoch!(write.zoneId, write.epoch, write.ttlMs)
  }
  return {
    async write(writes) {
      // Settle every write before answering: the batch resolves only when all of them are stored.
      const results = await Promise.allSettled(collapseEpochs(writes).map(writeOne))
      const failure = results.find((r) => r.status === 'rejected')
      if (failure !== undefined) throw failure.reason
    },
  }
}
