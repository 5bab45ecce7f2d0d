/**
 * The shared store contract (test/contract/stores.ts) for KvRevocationStore on the real local KV
 * namespace, inside workerd. The outage is fault injection around the real binding: while it lasts
 * every get and put throws, as KV does when the platform cannot answer.
 */
import { KvRevocationStore, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'
import { test } from 'vitest'
import { storeContract } from '../../contract/stores.js'
import { testEnv } from './helpers.js'

/**
 * Why the contract's TTL-lapse cases do not run on KV. What they would prove is checked through
 * `expiry` instead: the expiry KV stored for each mark, read back from the real local namespace.
 */
const TTL_UNSUPPORTED =
  'Workers KV expirationTtl is at least 60 s (shorter TTLs are rounded up to 60 s), so a mark cannot lapse within a test'

/** The expiry the local namespace holds for `key` (KV lists it in whole seconds since the epoch). */
async function storedExpiry(key: string): Promise<number | undefined> {
  const { keys } = await testEnv.REVOCATIONS.list({ prefix: key })
  const expiration = keys.find((k) => k.name === key)?.expiration
  return expiration === undefined ? undefined : expiration * 1000
}

let down = false
const faulty: KvNamespaceLike = {
  get(key, options) {
    if (down) throw new Error('KV GET failed: injected outage')
    return testEnv.REVOCATIONS.get(key, options)
  },
  put(key, value, options) {
    if (down) throw new Error('KV PUT failed: injected outage')
    return testEnv.REVOCATIONS.put(key, value, options)
  },
}

for (const c of storeContract({
  name: 'cloudflare-kv',
  create: () => new KvRevocationStore(faulty),
  async outage() {
    down = true
    return () => {
      down = false
    }
  },
  ttl: { unsupported: TTL_UNSUPPORTED },
  expiry: { read: storedExpiry, minTtlMs: 60_000, resolutionMs: 1000 },
})) {
  test(c.name, () => c.run())
}
