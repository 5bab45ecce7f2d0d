/**
 * A `#signature` that counts verifications, for unit tests proving a cache hit never reaches the
 * primitive. In the test file: `vi.mock('#signature', () => import('<this module>'))`, then read
 * and reset `signatureCalls.verifies`. The verify itself is the real node:crypto one from `src/`.
 */
import { primitive as real } from '../../src/verify/signature-node.js'
import type { SignaturePrimitive } from '../../src/verify/signature.js'

/** Signature verifications since the test last set `verifies` to 0. */
export const signatureCalls = { verifies: 0 }

/** The real primitive, counting each `verify`. */
export const primitive: SignaturePrimitive = {
  ...real,
  verify(key, signature, data) {
    signatureCalls.verifies++
    return real.verify(key, signature, data)
  },
}
