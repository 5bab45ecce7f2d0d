/** Checks of the arguments a store method takes: a TypeError that names the method and the fix. */

export function validateTtl(where: string, ttlMs: number | undefined): void {
  if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0)) {
    throw new TypeError(`${where}: ttlMs must be a positive number of milliseconds`)
  }
}

export function validateAnchor(where: string, anchor: string): void {
  if (typeof anchor !== 'string' || anchor.length === 0)
    throw new TypeError(`${where}: anchor must be a non-empty string`)
  // revokedKey(prefix, 'delegation-epoch:z') is epochKey(prefix, 'z'): such a mark would overwrite,
  // and so lower, the zone's epoch, which only ever goes up.
  if (anchor.startsWith('delegation-epoch:'))
    throw new TypeError(`${where}: anchor must not start with "delegation-epoch:" (that key holds a zone's epoch)`)
}

export function validateZoneId(where: string, zoneId: string): void {
  if (typeof zoneId !== 'string' || zoneId.length === 0)
    throw new TypeError(`${where}: zoneId must be a non-empty string`)
}

export function validateEpoch(where: string, zoneId: string, epoch: number): void {
  validateZoneId(where, zoneId)
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new TypeError(`${where}: epoch must be an integer >= 0`)
  }
}
