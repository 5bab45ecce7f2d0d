import type { JWK } from 'jose'

/**
 * The ES256 verify primitive of one runtime. The package's `#signature` import picks an
 * implementation by export condition: `node:crypto` on its thread pool on Node (measured the
 * fastest there under load), Web Crypto everywhere else (Workers, Deno, Bun, browsers). See
 * BENCHMARKS.md.
 */
export interface SignaturePrimitive<Key = unknown> {
  /** Short name for diagnostics and benchmarks, e.g. 'webcrypto' or 'node:crypto'. */
  readonly name: string
  /** Imports a public EC P-256 JWK once; the result is reused for every verification. */
  importKey(jwk: JWK): Promise<Key>
  /** Verifies a 64-byte IEEE P1363 ES256 signature over `data`. */
  verify(key: Key, signature: Uint8Array, data: Uint8Array): boolean | Promise<boolean>
  /**
   * Decodes base64url (no padding) with the runtime's native decoder where it has one; throws on
   * characters outside the alphabet. The verifier has already checked the token's character set.
   */
  decodeBase64url(input: string): Uint8Array
  /** The ASCII bytes of the JWS signing input. */
  encodeAscii(input: string): Uint8Array
}
