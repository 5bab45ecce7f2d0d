/**
 * A JWKS as the verifier holds it: which JWKs can be zone signing keys, imported once each, and a
 * kid that several keys share naming no key at all.
 */
import { primitive } from '#signature'
import type { JWK } from 'jose'
import { CaracalError } from '../errors.js'

/** Keys read from one JWKS; the STS serves two (active and previous). */
const MAX_KEYS = 16

/** A key as the runtime's signature primitive imported it (CryptoKey or node:crypto KeyObject). */
export type VerificationKey = unknown

interface ImportedKey {
  readonly fingerprint: string
  readonly key: VerificationKey
}

/** What a kid that several keys share maps to: never a key. */
interface AmbiguousKid {
  readonly fingerprint: ''
  readonly key: undefined
  readonly count: number
}

/** What a kid of the set maps to: its imported key, or the mark of an ambiguous kid. */
export type KidEntry = ImportedKey | AmbiguousKid

function ambiguousKid(kid: string, count: number): CaracalError {
  return new CaracalError(
    'invalid_token',
    `kid ${JSON.stringify(kid.slice(0, 80))} is ambiguous: it names ${count} keys in the zone JWKS, and no key is picked among them`,
    { claim: 'kid' },
  )
}

/**
 * Whether a JWK can be a zone signing key: a public EC P-256 key with a `kid`, and, where it says
 * so, meant for signatures with ES256. Other keys in the set are skipped, not fatal.
 */
export function isUsableJwk(jwk: unknown): jwk is JWK & { kid: string; x: string; y: string } {
  if (typeof jwk !== 'object' || jwk === null) return false
  const k = jwk as JWK
  if (k.kty !== 'EC' || k.crv !== 'P-256' || typeof k.kid !== 'string' || k.kid.length === 0) return false
  if (typeof k.x !== 'string' || typeof k.y !== 'string' || k.d !== undefined) return false
  if (k.use !== undefined && k.use !== 'sig') return false
  return k.alg === undefined || k.alg === 'ES256'
}

/** The key a kid names, or the refusal when several keys share it. */
export function keyOf(kid: string, entry: KidEntry): VerificationKey {
  if (entry.key === undefined) throw ambiguousKid(kid, (entry as AmbiguousKid).count)
  return entry.key
}

/**
 * The kid -> key map of a JWKS. A key whose material is unchanged from what `installed` has for
 * its kid keeps that imported object; the others are imported. Rejects when the set is unusable.
 */
export async function importKeySet(
  jwks: unknown,
  installed: (kid: string) => KidEntry | undefined,
): Promise<Map<string, KidEntry>> {
  const list = (jwks as { keys?: unknown } | null)?.keys
  if (!Array.isArray(list)) throw new Error('JWKS has no `keys` array')
  const usable = (list.slice(0, MAX_KEYS) as unknown[]).filter(isUsableJwk)
  const perKid = new Map<string, number>()
  for (const k of usable) perKid.set(k.kid, (perKid.get(k.kid) ?? 0) + 1)
  const next = new Map<string, KidEntry>()
  for (const k of usable) {
    // A verifier must never choose among keys that share a kid: such a kid names no key at all.
    const count = perKid.get(k.kid)!
    if (count > 1) {
      next.set(k.kid, { fingerprint: '', key: undefined, count })
      continue
    }
    const fingerprint = `${k.x}.${k.y}`
    const known = installed(k.kid)
    if (known !== undefined && known.fingerprint === fingerprint) {
      next.set(k.kid, known)
      continue
    }
    try {
      const key = await primitive.importKey({ kty: 'EC', crv: 'P-256', x: k.x, y: k.y })
      next.set(k.kid, { fingerprint, key })
    } catch {
      // A malformed key is skipped; the others still serve.
    }
  }
  // A set whose only kids are ambiguous still installs: its tokens get invalid_token, not 503.
  if (next.size === 0) throw new Error('JWKS holds no usable EC P-256 ES256 signing key')
  return next
}
