/** The bearer token of an `Authorization` header, as Caracal's verifiers read it. */
import { CaracalError } from '../errors.js'
import { MAX_TOKEN_LENGTH } from '../verify/verifier.js'

/** The whitespace characters that may follow the scheme (Caracal accepts these six). */
function isAsciiWhitespace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13)
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
 * The bearer token of an `Authorization` header (RFC 6750 section 2.1, as Caracal reads it): the
 * scheme is case-insensitive, at least one whitespace follows it, and the trimmed rest is the token.
 * Two headers arrive comma-joined and so yield a token that fails verification.
 */
export function extractBearer(header: string | null): string {
  if (header === null) throw new CaracalError('missing_token', 'no Authorization header')
  if (header.length < 7 || !isBearerScheme(header)) {
    throw new CaracalError('missing_token', 'Authorization header does not use the Bearer scheme')
  }
  if (!isAsciiWhitespace(header.charCodeAt(6))) throw new CaracalError('missing_token', 'no whitespace after "Bearer"')
  // The cap is the token's (trim is one linear pass): any run of blanks around it is accepted, as
  // Caracal's verifiers accept it; a header too large to hold is the runtime's to refuse.
  const token = header.slice(7).trim()
  if (token.length === 0) throw new CaracalError('missing_token', 'Bearer with no token')
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new CaracalError('invalid_token', `token is ${token.length} characters, over ${MAX_TOKEN_LENGTH}`)
  }
  return token
}
