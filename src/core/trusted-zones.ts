/**
 * Verification under the `trust` option: several issuer+zone pairs, each with its own JWKS cache
 * and verifier, made on the first token that names the pair and kept for the life of the wrapper
 * (nothing evicts a zone's keys to make room for another's). The pairs share one verified-mandate
 * cache, bounded as a whole; an entry there is served only while the zone that verified it keeps
 * the keys it was verified with.
 */
import { CaracalError } from '../errors.js'
import { claimedZone, type ClaimedZone } from '../verify/claimed-zone.js'
import type { MandateCache } from '../verify/mandate-cache.js'
import type { VerifiedMandate } from '../verify/verified.js'
import type { MandateVerifier } from '../verify/verifier.js'
import type { Identity } from './identity.js'
import type { TrustedZone } from './trust.js'

/** Makes the verifier of one issuer+zone (its JWKS cache included), caching into `cache`. */
export type ZoneVerifierFactory = (identity: Identity, cache: MandateCache | undefined) => MandateVerifier

/** Zones whose keys `warmup()` fetches at the same time: enough to be quick, few enough for the STS. */
const WARMUP_CONCURRENCY = 8
/** Characters of a claimed value quoted in an `onError` reason. */
const QUOTED = 120

interface ZoneSlot {
  readonly identity: Identity
  verifier: MandateVerifier | undefined
}

function quoted(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, QUOTED)) : typeof value
}

/** The verifiers of the `trust` pairs for one audience, picked per token by its claimed `iss` and `zone_id`. */
export class TrustedZones {
  /** issuer -> zone -> its verifier, once a token has named it. */
  readonly #zones = new Map<string, Map<string, ZoneSlot>>()
  readonly #cache: MandateCache | undefined
  readonly #newVerifier: ZoneVerifierFactory

  constructor(
    trust: readonly TrustedZone[],
    audience: string,
    cache: MandateCache | undefined,
    newVerifier: ZoneVerifierFactory,
  ) {
    for (const { issuer, zoneId } of trust) {
      let zones = this.#zones.get(issuer)
      if (zones === undefined) this.#zones.set(issuer, (zones = new Map()))
      zones.set(zoneId, { identity: Object.freeze({ issuer, zoneId, audience }), verifier: undefined })
    }
    this.#cache = cache
    this.#newVerifier = newVerifier
  }

  /** The cached mandate of a `Bearer <token>` header, as MandateVerifier#cachedByHeader. */
  cachedByHeader(header: string, nowMs: number): VerifiedMandate | undefined {
    return this.#cache?.getByHeader(header, nowMs, this.#generationOf)
  }

  /** The cached mandate of `token`, as MandateVerifier#cachedByToken. */
  cachedByToken(token: string, nowMs: number): VerifiedMandate | undefined {
    return this.#cache?.get(token, nowMs, this.#generationOf)
  }

  /**
   * The cached mandate of `token`, else its verification by the pair its claims name. Throws
   * `invalid_token` (unknown issuer, unreadable payload) or `invalid_zone` (a zone not trusted for
   * that issuer) before any key is fetched when no configured pair is named.
   */
  verify(token: string, nowMs: number): VerifiedMandate | Promise<VerifiedMandate> {
    const cached = this.cachedByToken(token, nowMs)
    if (cached !== undefined) return cached
    return this.#verifierOf(claimedZone(token)).verifyUncached(token, nowMs)
  }

  /** Fetches the JWKS of every pair, a few at a time; rejects with the first failure once all were tried. */
  async warmup(): Promise<void> {
    const slots = [...this.#zones.values()].flatMap((zones) => [...zones.values()])
    const failures: unknown[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < slots.length) {
        const slot = slots[next++]!
        await this.#verifierFor(slot)
          .warmup()
          .catch((error: unknown) => failures.push(error))
      }
    }
    await Promise.all(Array.from({ length: Math.min(WARMUP_CONCURRENCY, slots.length) }, worker))
    if (failures.length > 0) throw failures[0]
  }

  /**
   * The current key generation of the zone that verified a cached mandate: its claims name that
   * pair exactly (they were checked against it). -1, which no entry is cached under, otherwise.
   */
  readonly #generationOf = (verified: VerifiedMandate, nowMs: number): number => {
    const { issuer, zoneId } = verified.mandate
    return this.#zones.get(issuer)?.get(zoneId)?.verifier?.jwks.keyGeneration(nowMs) ?? -1
  }

  #verifierOf(claimed: ClaimedZone): MandateVerifier {
    const zones = typeof claimed.iss === 'string' ? this.#zones.get(claimed.iss) : undefined
    if (zones === undefined) {
      throw new CaracalError('invalid_token', `claim \`iss\` ${quoted(claimed.iss)} is not a trusted issuer`, {
        claim: 'iss',
      })
    }
    const zoneId = claimed.zoneId
    if (zoneId === undefined || zoneId === null || zoneId === '') {
      throw new CaracalError('invalid_zone', 'claim `zone_id` is missing', { claim: 'zone_id' })
    }
    const slot = typeof zoneId === 'string' ? zones.get(zoneId) : undefined
    if (slot === undefined) {
      throw new CaracalError(
        'invalid_zone',
        `claim \`zone_id\` ${quoted(zoneId)} is not a trusted zone of issuer ${quoted(claimed.iss)}`,
        { claim: 'zone_id' },
      )
    }
    return this.#verifierFor(slot)
  }

  #verifierFor(slot: ZoneSlot): MandateVerifier {
    return (slot.verifier ??= this.#newVerifier(slot.identity, this.#cache))
  }
}
