/** The contract of the per-runtime ES256 primitive behind the `#signature` import. */
import type { JWK } from 'jose'

/**
 * The ES256 verify primitive of one runtime. The package's `#signature` import picks an
 * implementation by export condition: `node:crypto` on its thread pool on Node (the fastest there
 * under load), Web Crypto everywhere else (Workers, Deno, Bun, browsers). See
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
   * Decodes base64url (no padding) with the runtime's native decoder where it has one. Decoders
   * differ on characters outside the alphabet (Buffer skips them), so the verifier checks the
   * character set of the header and the signature first, and decodes the payload only once the
   * signature over its exact characters holds.
   */
  decodeBase64url(input: string): Uint8Array
  /**
   * The UTF-8 bytes of the JWS signing input. The encoding must be one-to-one, so that a signature
   * over the STS's ASCII bytes holds for that exact string and no other: UTF-8 is, Latin-1 is not
   * (it maps "\u0141" and "A" to the same byte).
   */
  encodeSigningInput(input: string): Uint8Array
}
