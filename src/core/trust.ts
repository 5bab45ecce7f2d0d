/**
 * The `trust` option: the issuer+zone pairs whose mandates a provider with several Caracal zones
 * accepts, checked once at construction (each issuer like `issuer`, no unknown keys, no duplicates).
 */
import { rejectUnknownKeys } from '../option-keys.js'

/**
 * One trusted issuer and zone of the `trust` option: mandates whose `iss` and `zone_id` are exactly
 * these are verified with this zone's JWKS.
 *
 * @example
 * ```ts
 * const trust: TrustedZone[] = [{ issuer: 'https://sts.example.com', zoneId: 'zone-acme' }]
 * ```
 */
export interface TrustedZone {
  /** The Caracal STS URL (`https:`; `http:` only on loopback), exact match with `iss`. */
  readonly issuer: string
  /** The zone whose keys verify, and which `zone_id` must equal. */
  readonly zoneId: string
}

const ENTRY_KEYS = ['issuer', 'zoneId']

/**
 * Validates `trust` and returns a frozen copy, or undefined when it is not given. `issuerProblem`
 * is the check `issuer` gets. A `TypeError` names the entry and the fix.
 */
export function resolveTrust(
  where: string,
  options: { readonly trust?: unknown; readonly issuer?: unknown; readonly zoneId?: unknown },
  issuerProblem: (issuer: string) => string | undefined,
): readonly TrustedZone[] | undefined {
  const trust = options.trust
  if (trust === undefined) return undefined
  if (options.issuer !== undefined || options.zoneId !== undefined) {
    throw new TypeError(
      `${where}: pass either \`trust\` or \`issuer\`/\`zoneId\`, not both (add that pair to \`trust\` instead)`,
    )
  }
  if (!Array.isArray(trust) || trust.length === 0) {
    throw new TypeError(`${where}: \`trust\` must be a non-empty array of { issuer, zoneId }`)
  }
  const zonesOf = new Map<string, Set<string>>()
  const resolved: TrustedZone[] = []
  for (let i = 0; i < trust.length; i++) {
    const at = `${where}: trust[${i}]`
    const entry: unknown = trust[i]
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new TypeError(`${at} must be an object { issuer, zoneId }`)
    }
    rejectUnknownKeys(at, entry, ENTRY_KEYS)
    const { issuer, zoneId } = entry as { issuer?: unknown; zoneId?: unknown }
    for (const [name, value] of [
      ['issuer', issuer],
      ['zoneId', zoneId],
    ] as const) {
      if (typeof value !== 'string' || value.length === 0)
        throw new TypeError(`${at}: \`${name}\` must be a non-empty string`)
    }
    const problem = issuerProblem(issuer as string)
    if (problem !== undefined) throw new TypeError(`${at}: issuer ${JSON.stringify(issuer)} ${problem}`)
    let zones = zonesOf.get(issuer as string)
    if (zones === undefined) zonesOf.set(issuer as string, (zones = new Set()))
    if (zones.has(zoneId as string)) {
      throw new TypeError(`${at} repeats issuer ${JSON.stringify(issuer)} with zone ${JSON.stringify(zoneId)}`)
    }
    zones.add(zoneId as string)
    resolved.push(Object.freeze({ issuer: issuer as string, zoneId: zoneId as string }))
  }
  return Object.freeze(resolved)
}
