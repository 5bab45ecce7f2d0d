/**
 * The mandate as Caracal's Gateway forwards it: raw (no scheme) in a header of its own, because the
 * Gateway puts the provider's credential in `Authorization`. Opt-in: any client can send that header.
 */
import { CaracalError } from '../errors.js'
import { MAX_TOKEN_LENGTH } from '../verify/verifier.js'

// RFC 9110 section 5.6.2 token characters, lower case only: `Headers` hands names back lower-cased,
// so an upper-case name here would be a name no request ever matches.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/

/** Validates the `identityHeader` option once, at construction. */
export function checkIdentityHeader(where: string, name: unknown): string | undefined {
  if (name === undefined) return undefined
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
    throw new TypeError(
      `${where}: \`identityHeader\` must be a lower-case header name, e.g. 'x-caracal-identity'; got ${JSON.stringify(name)}`,
    )
  }
  if (name === 'authorization') {
    throw new TypeError(`${where}: \`identityHeader\` must not be 'authorization' (that header is read by default)`)
  }
  return name
}

/** The raw mandate of an identity header's value: trimmed, not empty, within the token bound. */
export function tokenOfIdentityHeader(value: string): string {
  const token = value.trim()
  if (token.length === 0) throw new CaracalError('missing_token', 'the identity header is empty')
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new CaracalError('invalid_token', `token is ${token.length} characters, over ${MAX_TOKEN_LENGTH}`)
  }
  return token
}
