/**
 * `caracal-fetch/upstash`: the revocation store on Upstash Redis (REST). Needs the optional peer
 * dependency `@upstash/redis`; the root entry never loads it.
 *
 * @example
 * ```ts
 * import { UpstashRevocationStore } from 'caracal-fetch/upstash'
 * const revocations = UpstashRevocationStore.fromEnv()
 * ```
 */
export { UpstashRevocationStore } from './stores/upstash.js'
export type { UpstashRevocationStoreOptions, UpstashRedisClient } from './stores/upstash.js'
export type { RevocationMark } from './stores/types.js'
