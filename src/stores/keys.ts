/** The key layout shared with Caracal's Redis store, so one Redis (or KV) serves both. */

/** Default lifetime of a revocation mark: 24 h, as in Caracal's Redis store. */
export const DEFAULT_REVOCATION_TTL_MS = 24 * 60 * 60 * 1000

/** Key prefix shared with Caracal's Redis store. */
export const DEFAULT_KEY_PREFIX = 'caracal:revoked:sessions:'

/** The key of a revoked anchor. */
export function revokedKey(prefix: string, anchor: string): string {
  return prefix + anchor
}

/** The key of a zone's delegation epoch. */
export function epochKey(prefix: string, zoneId: string): string {
  return `${prefix}delegation-epoch:${zoneId}`
}
