/** The ES256 primitive on node:crypto (its thread pool), chosen for Node by the `#signature` import. */
import { Buffer } from 'node:buffer'
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import type { SignaturePrimitive } from './signature.js'

/**
 * ES256 through node:crypto, chosen on Node by the `node` export condition. The verify runs on
 * libuv's thread pool (the callback form), not on the event loop: measured on Node 22 under HTTP
 * load it serves more requests per second than the synchronous form (which blocks the loop for
 * the whole verify) and than `crypto.subtle` (same thread pool, more layers). One call alone waits
 * for the thread-pool hop; BENCHMARKS.md reports both the one-at-a-time and the loaded numbers.
 * Bun and Deno also answer to `node`, but resolve their own conditions first and get Web Crypto.
 */
export const primitive: SignaturePrimitive = {
  name: 'node:crypto',
  async importKey(jwk) {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
      throw new TypeError('not an EC P-256 public JWK')
    }
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' })
    if (key.asymmetricKeyType !== 'ec') throw new TypeError('not an EC key')
    return key
  },
  verify(key, signature, data) {
    return new Promise<boolean>((resolve, reject) => {
      verify('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, signature, (error, ok) =>
        error ? reject(error) : resolve(ok),
      )
    })
  },
  // Buffer's native decoder skips characters outside the alphabet instead of throwing; see
  // SignaturePrimitive.decodeBase64url for why the verifier never depends on that.
  decodeBase64url: (input) => Buffer.from(input, 'base64url'),
  encodeSigningInput: (input) => Buffer.from(input, 'utf8'),
}
