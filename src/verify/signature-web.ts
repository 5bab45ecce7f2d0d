/** The ES256 primitive on Web Crypto: Workers, Deno, Bun, browsers. */
import { base64url, importJWK } from 'jose'
import type { SignaturePrimitive } from './signature.js'

const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const
const utf8 = new TextEncoder()

// TC39 Uint8Array.fromBase64 (Bun, Deno, recent V8): native, and throws on '+' and '/'. jose's
// decoder elsewhere. Neither is strict about whitespace or padding; see SignaturePrimitive.
const NativeBytes = Uint8Array as { fromBase64?: (s: string, o: { alphabet: 'base64url' }) => Uint8Array }
const decodeBase64url: (input: string) => Uint8Array =
  typeof NativeBytes.fromBase64 === 'function'
    ? (input) => NativeBytes.fromBase64!(input, { alphabet: 'base64url' })
    : (input) => base64url.decode(input)

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
  decodeBase64url,
  encodeSigningInput: (input) => utf8.encode(input),
}
