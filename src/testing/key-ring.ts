/**
 * The development issuer's signing keys: a fresh P-256 pair per issuer, the active one first and
 * the previous one kept after a rotation, as the STS publishes at most two (caracal-mandates.md 2).
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import type { JsonWebKeySet } from '../verify/jwks.js'

export interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

export interface KeyRing {
  /** The active key. */
  readonly active: SigningKey
  /** The published set: active key, then the previous one after a rotation. */
  readonly jwks: JsonWebKeySet
  /** The key with this kid, if the ring still holds it. */
  find(kid: string): SigningKey | undefined
  /** Makes a new active key and returns its kid; the old active key becomes the previous one. */
  rotate(): Promise<string>
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = crypto.randomUUID()
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  return { kid, privateKey: privateKey as CryptoKey, publicJwk }
}

export async function createKeyRing(): Promise<KeyRing> {
  const keys: SigningKey[] = [await newKey()]
  return {
    get active() {
      return keys[0]!
    },
    get jwks() {
      return { keys: keys.map((k) => k.publicJwk) }
    },
    find: (kid) => keys.find((k) => k.kid === kid),
    async rotate() {
      keys.unshift(await newKey())
      keys.length = Math.min(keys.length, 2)
      return keys[0]!.kid
    },
  }
}
