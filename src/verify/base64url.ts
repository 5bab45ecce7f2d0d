/**
 * Canonical base64url (RFC 4648 section 5, no padding): the one spelling of a byte string. The
 * last character of a segment whose length is not a multiple of 4 carries unused low bits;
 * decoders ignore them, so without this check one token has up to 16 spellings (each a cache
 * entry of its own, and a way around any deny list keyed by the token).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Each character code's 6-bit value, -1 outside the alphabet. */
const VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i

/**
 * Whether `text.slice(start, end)` ends the way only a canonical encoding can: a length that is
 * not 1 more than a multiple of 4, and a last character in the alphabet whose unused bits are 0.
 * Looks at one character; the rest of the alphabet is the caller's to check.
 */
export function hasCanonicalEnd(text: string, start: number, end: number): boolean {
  const length = end - start
  const partial = length % 4
  if (length === 0 || partial === 1) return false
  const code = text.charCodeAt(end - 1)
  const value = code < 128 ? VALUES[code]! : -1
  if (value === -1) return false
  // 2 characters left over carry 1 byte (4 unused bits), 3 carry 2 bytes (2 unused bits).
  if (partial === 2) return (value & 0b1111) === 0
  if (partial === 3) return (value & 0b11) === 0
  return true
}
