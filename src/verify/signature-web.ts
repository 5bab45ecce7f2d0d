import { importJWK } from 'jose'
import type { SignaturePrimitive } from './signature.js'

const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const

/** ES256 through Web Crypto: Workers, Deno, Bun and anything without a faster primitive. */
export const primitive: SignaturePrimitive = {
  name: 'webcrypto',
  async importKey(jwk) {
    return (await importJWK(jwk, 'ES256')) as CryptoKey
  },
  verify(key, signature, data) {
    return crypto.subtle.verify(
      ES256,
      key as CryptoKey,
      signature as Uint8Array<ArrayBuffer>,
      data as Uint8Array<ArrayBuffer>,
    )
  },
}
