/**
 * `caracal-fetch/cloudflare-kv`: the revocation store on a Cloudflare Workers KV binding.
 *
 * @example
 * ```ts
 * import { withCaracal } from 'caracal-fetch'
 * import { KvRevocationStore } from 'caracal-fetch/cloudflare-kv'
 *
 * export default {
 *   fetch: withCaracal(handler, { revocations: (env) => new KvRevocationStore(env.REVOCATIONS) }),
 * }
 * ```
 */
export { KvRevocationStore } from './stores/cloudflare-kv.js'
export type { KvRevocationStoreOptions } from './stores/cloudflare-kv.js'
export type { KvNamespaceLike, KvGetOptions, KvPutOptions } from './stores/kv-namespace.js'
export type { RevocationStore, BatchRevocationStore, RevocationStatus } from './stores/types.js'
