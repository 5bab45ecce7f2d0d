/**
 * The `iss` and `zone_id` a token claims, read from its payload BEFORE the signature is checked.
 * They are only ever used to pick which configured issuer+zone verifies the token: never trusted,
 * never used to build a URL. The chosen zone's verifier then checks the signature with that zone's
 * keys and requires the claims to name exactly that zone, so a lie here only picks keys that do
 * not verify the token.
 */
import { primitive } from '#signature'
import { CaracalError } from '../errors.js'
import { MAX_TOKEN_LENGTH } from './verifier.js'

/** What a token says about its issuer and zone, unchecked: anything JSON holds, or undefined. */
export interface ClaimedZone {
  readonly iss: unknown
  readonly zoneId: unknown
}

const BASE64URL = /^[A-Za-z0-9_-]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

function invalid(reason: string, cause?: unknown): CaracalError {
  return new CaracalError('invalid_token', reason, cause === undefined ? {} : { cause })
}

/**
 * The unverified `iss` and `zone_id` of a compact JWS; `invalid_token` when the token is too long,
 * not three dot-separated parts, or its payload is not a base64url-encoded UTF-8 JSON object.
 * A duplicated claim reads as its last occurrence, as the verifier's own parse reads it.
 */
export function claimedZone(token: string): ClaimedZone {
  if (token.length > MAX_TOKEN_LENGTH) throw invalid(`token is ${token.length} characters, over ${MAX_TOKEN_LENGTH}`)
  const dot1 = token.indexOf('.')
  const dot2 = dot1 === -1 ? -1 : token.indexOf('.', dot1 + 1)
  if (dot1 <= 0 || dot2 <= dot1 + 1 || token.indexOf('.', dot2 + 1) !== -1) {
    throw invalid('token is not a compact JWS (three non-empty dot-separated parts)')
  }
  const segment = token.slice(dot1 + 1, dot2)
  if (!BASE64URL.test(segment)) throw invalid('token payload is not base64url')
  let payload: unknown
  try {
    payload = JSON.parse(utf8.decode(primitive.decodeBase64url(segment)))
  } catch (error) {
    throw invalid('payload is not base64url-encoded UTF-8 JSON', error)
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid('payload is not a JSON object')
  }
  const claims = payload as Record<string, unknown>
  return { iss: claims['iss'], zoneId: claims['zone_id'] }
}
