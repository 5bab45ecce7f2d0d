import { CaracalError } from '../errors.js'
import { MAX_TOKEN_LENGTH } from '../verify/verifier.js'

/** The whitespace characters that follow the scheme (RFC 7230 and Caracal accept these six). */
function isAsciiWhitespace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13)
}

/** What `String.prototype.trim` removes: ECMAScript WhiteSpace and LineTerminator code points. */
function isTrimmed(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13)
  if (code < 0xa0) return false
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  )
}

/** "bearer", compared case-insensitively by char code (no lower-cased copy per request). */
function isBearerScheme(header: string): boolean {
  return (
    (header.charCodeAt(0) | 32) === 98 && // b
    (header.charCodeAt(1) | 32) === 101 && // e
    (header.charCodeAt(2) | 32) === 97 && // a
    (header.charCodeAt(3) | 32) === 114 && // r
    (header.charCodeAt(4) | 32) === 101 && // e
    (header.charCodeAt(5) | 32) === 114 // r
  )
}

/**
 * Where the bearer token starts in an `Authorization` header (RFC 6750 section 2.1, as Caracal reads
 * it): the scheme is case-insensitive, at least one whitespace follows it, and the trimmed rest is
 * the token, `header.slice(bearerStart(header), bearerEnd(header))`. Two headers arrive comma-joined
 * and so yield a token that fails verification. Positions, not a copy: a cache hit compares the
 * header in place and never allocates the token.
 */
export function bearerStart(header: string | null): number {
  if (header === null) throw new CaracalError('missing_token', 'no Authorization header')
  if (header.length < 7 || !isBearerScheme(header)) {
    throw new CaracalError('missing_token', 'Authorization header does not use the Bearer scheme')
  }
  if (!isAsciiWhitespace(header.charCodeAt(6))) throw new CaracalError('missing_token', 'no whitespace after "Bearer"')
  // Capped before trimming, so an absurd header costs no more than its first bytes.
  if (header.length > MAX_TOKEN_LENGTH + 1024) {
    throw new CaracalError('invalid_token', `Authorization header is ${header.length} characters, over the limit`)
  }
  let start = 7
  while (start < header.length && isTrimmed(header.charCodeAt(start))) start++
  if (start === header.length) throw new CaracalError('missing_token', 'Bearer with no token')
  return start
}

/** Where the token of a header that passed `bearerStart` ends (trailing whitespace trimmed). */
export function bearerEnd(header: string): number {
  let end = header.length
  while (isTrimmed(header.charCodeAt(end - 1))) end--
  return end
}
