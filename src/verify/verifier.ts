import { compactVerify, decodeProtectedHeader } from 'jose'
import { CaracalError } from '../errors.js'
import { mandateFromPayload, type ClaimExpectations } from './claims.js'
import type { JwksCache } from './jwks.js'
import type { Mandate } from './mandate.js'
import type { MandateCache } from './mandate-cache.js'

/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 16 * 1024

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

function invalid(reason: string, cause?: unknown): CaracalError {
  return new CaracalError('invalid_token', reason, cause === undefined ? {} : { cause })
}

/**
 * Verifies a mandate's signature against the zone JWKS and checks its claims and zone. Route
 * requirements and revocation are the caller's (they run on every request, cached or not).
 */
export class MandateVerifier {
  readonly expected: ClaimExpectations
  readonly jwks: JwksCache
  readonly cache: MandateCache | undefined
  readonly #keyStillValid: (kid: string) => boolean

  constructor(expected: ClaimExpectations, jwks: JwksCache, cache: MandateCache | undefined) {
    this.expected = expected
    this.jwks = jwks
    this.cache = cache
    this.#keyStillValid = (kid) => jwks.hasKey(kid)
  }

  verify(token: string, nowMs: number): Mandate | Promise<Mandate> {
    const cached = this.cache?.get(token, nowMs, this.#keyStillValid)
    if (cached !== undefined) return cached
    return this.#verify(token, nowMs)
  }

  async #verify(token: string, nowMs: number): Promise<Mandate> {
    if (token.length > MAX_TOKEN_LENGTH) throw invalid(`token is ${token.length} characters, over ${MAX_TOKEN_LENGTH}`)
    if (!COMPACT_JWS.test(token)) throw invalid('token is not a compact JWS (three base64url parts)')
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(token)
    } catch (error) {
      throw invalid('token header is not valid base64url JSON', error)
    }
    if (header.alg !== 'ES256') throw invalid(`alg ${JSON.stringify(header.alg)} is not ES256`)
    const kid = header.kid
    if (typeof kid !== 'string' || kid.length === 0) throw invalid('token header has no `kid`')
    const key = await this.jwks.getKey(kid)
    let payload: Uint8Array
    try {
      payload = (await compactVerify(token, key, { algorithms: ['ES256'] })).payload
    } catch (error) {
      throw invalid(`signature verification failed (${(error as { code?: string }).code ?? 'error'})`, error)
    }
    let claims: unknown
    try {
      claims = JSON.parse(utf8.decode(payload))
    } catch (error) {
      throw invalid('payload is not UTF-8 JSON', error)
    }
    const mandate = mandateFromPayload(claims, this.expected, Math.floor(nowMs / 1000))
    this.cache?.set(token, kid, mandate, nowMs)
    return mandate
  }
}
