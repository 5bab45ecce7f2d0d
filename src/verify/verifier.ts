/**
 * One zone's mandate verifier: the JWS checks of RFC 7515 for ES256, the signature, the claims,
 * with a verified-mandate cache in front. Route requirements and revocation are the core's.
 */
import { primitive } from '#signature'
import { isPromise } from '../async.js'
import { CaracalError, isCaracalError } from '../errors.js'
import { hasCanonicalEnd } from './base64url.js'
import { mandateFromPayload, type ClaimExpectations } from './claims.js'
import type { JwksCache, VerificationKey } from './jwks.js'
import type { MandateCache } from './mandate-cache.js'
import { verifiedMandate, type VerifiedMandate } from './verified.js'

/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 16 * 1024

const BASE64URL = /^[A-Za-z0-9_-]+$/
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

function invalid(reason: string, cause?: unknown): CaracalError {
  return new CaracalError('invalid_token', reason, cause === undefined ? {} : { cause })
}

interface Prepared {
  readonly kid: string
  readonly signature: Uint8Array
  readonly signingInput: Uint8Array
  readonly dot1: number
  readonly dot2: number
}

/** base64url then strict UTF-8 then JSON; any failure is `invalid_token`. */
function decodeJson(part: string, what: string): unknown {
  try {
    return JSON.parse(utf8.decode(primitive.decodeBase64url(part)))
  } catch (error) {
    throw invalid(`${what} is not base64url-encoded UTF-8 JSON`, error)
  }
}

/**
 * While no key can be had (503), a token whose payload is not even base64url is still decidably
 * invalid: answer that instead of "try again". Checked only on this path, so the usual miss path
 * makes no pass over the payload (the signature covers its characters).
 */
function malformedOr(error: unknown, token: string, dot1: number, dot2: number): unknown {
  if (
    isCaracalError(error) &&
    error.code === 'temporarily_unavailable' &&
    !BASE64URL.test(token.slice(dot1 + 1, dot2))
  ) {
    return invalid('token payload is not base64url')
  }
  return error
}

/**
 * Verifies a mandate's ES256 signature against the zone JWKS and checks its claims and zone. Route
 * requirements and revocation are the caller's (they run on every request, cached or not).
 *
 * The JWS steps follow RFC 7515 section 5.2 for the one algorithm Caracal uses: the header must
 * say `alg: ES256` (nothing else is ever tried), name a `kid`, and carry no `crit` (no extension is
 * understood, so any is refused); the signature is the 64-byte P1363 form, checked by the
 * runtime's fastest primitive over the ASCII signing input; only then is the payload parsed.
 */
export class MandateVerifier {
  readonly expected: ClaimExpectations
  readonly jwks: JwksCache
  readonly cache: MandateCache | undefined
  // Every mandate of a zone key carries the same header segment: remember the last one that passed
  // the header checks and its kid, so the common case skips a base64 decode and a JSON parse.
  #checkedHeader = ''
  #checkedKid = ''

  constructor(expected: ClaimExpectations, jwks: JwksCache, cache: MandateCache | undefined) {
    this.expected = expected
    this.jwks = jwks
    this.cache = cache
  }

  /**
   * The cached mandate of an `Authorization` header sent as `Bearer <token>` (as nearly every client
   * sends it), found without cutting the token out; undefined for anything else.
   */
  cachedByHeader(header: string, nowMs: number): VerifiedMandate | undefined {
    return this.cache?.getByHeader(header, nowMs, this.jwks.keyGeneration(nowMs))
  }

  /** The cached mandate of `token`, if the cache holds it for the current keys. */
  cachedByToken(token: string, nowMs: number): VerifiedMandate | undefined {
    return this.cache?.get(token, nowMs, this.jwks.keyGeneration(nowMs))
  }

  verify(token: string, nowMs: number): VerifiedMandate | Promise<VerifiedMandate> {
    const cached = this.cachedByToken(token, nowMs)
    if (cached !== undefined) return cached
    return this.#verify(token, nowMs)
  }

  /** `verify` for a caller that has already looked in the cache (several zones share one). */
  verifyUncached(token: string, nowMs: number): Promise<VerifiedMandate> {
    return this.#verify(token, nowMs)
  }

  /** Loads the zone JWKS now; rejects with the reason when it cannot. */
  warmup(): Promise<void> {
    return this.jwks.load()
  }

  /** RFC 7515 header checks for the one algorithm Caracal uses; returns the `kid`. */
  #checkHeader(segment: string): string {
    if (!BASE64URL.test(segment)) throw invalid('token header is not base64url')
    if (!hasCanonicalEnd(segment, 0, segment.length)) throw invalid('token header is not canonical base64url')
    const header = decodeJson(segment, 'token header')
    if (typeof header !== 'object' || header === null || Array.isArray(header))
      throw invalid('token header is not an object')
    const { alg, kid, crit } = header as { alg?: unknown; kid?: unknown; crit?: unknown }
    if (alg !== 'ES256') throw invalid(`alg ${JSON.stringify(alg)} is not ES256`)
    if (crit !== undefined) throw invalid('token header has `crit` extensions, none of which are understood')
    if (typeof kid !== 'string' || kid.length === 0) throw invalid('token header has no `kid`')
    this.#checkedHeader = segment
    this.#checkedKid = kid
    return kid
  }

  // Not an async function: on the cache-miss path the only wait is the signature primitive, so the
  // checks before it run synchronously (a throw becomes the returned rejection) and one
  // `then` finishes the job, instead of an async frame suspended and resumed around every await.
  #verify(token: string, nowMs: number): Promise<VerifiedMandate> {
    try {
      const { kid, signature, signingInput, dot1, dot2 } = this.#prepare(token)
      let used: VerificationKey | undefined
      const check = (key: VerificationKey): boolean | Promise<boolean> => {
        used = key
        try {
          return primitive.verify(key, signature, signingInput)
        } catch (error) {
          throw invalid('signature verification failed', error)
        }
      }
      const failed = (error: unknown): never => {
        throw isCaracalError(error) ? error : invalid('signature verification failed', error)
      }
      const finish = (valid: boolean): VerifiedMandate => {
        // The payload is read only once the signature holds: an unsigned token is only ever told
        // "invalid signature", and a flood of forged tokens costs no JSON parsing or claim checks.
        if (!valid) throw invalid('signature does not verify with the zone key')
        const payload = decodeJson(token.slice(dot1 + 1, dot2), 'payload')
        const result = verifiedMandate(mandateFromPayload(payload, this.expected, Math.floor(nowMs / 1000)))
        // A cached mandate stands only while its kid still names the key object that verified it
        // (a kid that left the JWKS, or now names other key material, sends the token back to be
        // verified): it is cached under the key generation in which that holds, and not at all
        // when the keys changed while the signature was being checked.
        if (this.cache !== undefined && this.jwks.currentKey(kid, nowMs) === used) {
          this.cache.set(token, this.jwks.keyGeneration(nowMs), result, nowMs)
        }
        return result
      }
      let key: VerificationKey | Promise<VerificationKey>
      try {
        key = this.jwks.getKey(kid)
      } catch (error) {
        throw malformedOr(error, token, dot1, dot2)
      }
      if (isPromise(key)) {
        return key
          .then(check, (error: unknown) => Promise.reject(malformedOr(error, token, dot1, dot2)))
          .then(finish, failed)
      }
      const verdict = check(key)
      return isPromise(verdict) ? verdict.then(finish, failed) : Promise.resolve(finish(verdict))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** The synchronous shape checks of RFC 7515 section 5.2, up to the signature primitive's inputs. */
  #prepare(token: string): Prepared {
    if (token.length > MAX_TOKEN_LENGTH) throw invalid(`token is ${token.length} characters, over ${MAX_TOKEN_LENGTH}`)
    // Shape checks that make no pass over the whole token (a regex over all of it would run on
    // every uncached request). The header's characters are
    // checked when it is first seen, the signature's here; the payload's need no check of their
    // own: the signature is over their UTF-8 bytes, so it holds only for the STS's exact ASCII.
    const dot1 = token.indexOf('.')
    const dot2 = dot1 === -1 ? -1 : token.indexOf('.', dot1 + 1)
    if (dot1 <= 0 || dot2 <= dot1 + 1 || token.indexOf('.', dot2 + 1) !== -1) {
      throw invalid('token is not a compact JWS (three non-empty dot-separated parts)')
    }
    // Only the canonical spelling of each segment passes: no padding, no set unused bits. One
    // character each; the payload's others are covered by the signature.
    if (!hasCanonicalEnd(token, dot1 + 1, dot2)) throw invalid('token payload is not canonical base64url')
    const signatureSegment = token.slice(dot2 + 1)
    // A 64-byte signature is 86 characters.
    if (!SIGNATURE.test(signatureSegment)) {
      throw invalid('ES256 signature is not 86 base64url characters (64 bytes)')
    }
    if (!hasCanonicalEnd(token, dot2 + 1, token.length)) throw invalid('ES256 signature is not canonical base64url')

    const headerSegment = token.slice(0, dot1)
    const kid = headerSegment === this.#checkedHeader ? this.#checkedKid : this.#checkHeader(headerSegment)

    let signature: Uint8Array
    try {
      signature = primitive.decodeBase64url(signatureSegment)
    } catch (error) {
      throw invalid('signature is not base64url', error)
    }
    if (signature.length !== 64) throw invalid(`ES256 signature is ${signature.length} bytes, not 64`)
    return { kid, signature, signingInput: primitive.encodeSigningInput(token.slice(0, dot2)), dot1, dot2 }
  }
}
