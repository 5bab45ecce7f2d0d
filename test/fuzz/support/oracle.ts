/**
 * An independent oracle for the fuzz suite: from an `Authorization` header value and a request
 * path, decides what a Caracal resource server must answer, per /work/shared/caracal-mandates.md
 * (sections 1 to 3) and the README's documented choices. It shares no code with src/: the
 * signature is checked by jose's `jwtVerify` against the JWK set, every other rule is written
 * here from the contract, and where the contract is stricter than jose (canonical base64url, the
 * 16 KiB cap, exact integer claims, no `crit`, one key per `kid`, `exp <= now` with no tolerance)
 * the oracle is too.
 */
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet } from 'jose'

export type RefusalCode =
  | 'missing_token'
  | 'invalid_token'
  | 'invalid_zone'
  | 'session_revoked'
  | 'delegation_stale'
  | 'insufficient_scope'
  | 'session_required'
  | 'delegation_required'
  | 'chain_mismatch'
  | 'hop_count_exceeded'

/** Where in the contract's order of checks a refusal was decided. */
export type Stage = 'extract' | 'token' | 'claims' | 'requirements' | 'revocation'

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: RefusalCode; readonly stage: Stage; readonly why: string }

/** What a route demands (the contract's requirement options, already resolved). */
export interface RouteRequirements {
  readonly requiredScopes: readonly string[]
  readonly requiredTargets: readonly string[]
  readonly requireAgent: boolean
  readonly requireDelegation: boolean
  readonly requireChainContains: readonly string[]
  readonly maxHopCount: number
  readonly requiredUse: string
}

export interface OracleSetup {
  readonly issuer: string
  readonly audience: string
  readonly zoneId: string
  readonly jwks: JSONWebKeySet
  readonly nowS: number
  /** Requirements by path prefix; '/' holds the defaults. */
  readonly routes: Readonly<Record<string, RouteRequirements>>
  readonly revokedAnchors: ReadonlySet<string>
  /** The store's delegation epoch for the zone, if any. */
  readonly zoneEpoch: number | undefined
}

/** The six ASCII whitespace characters Caracal's verifiers accept between `Bearer` and the token. */
const AFTER_SCHEME = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20])

/**
 * Separators in `scope` (and the trim of the bearer token): the characters that JavaScript's `\s`,
 * Python's `str.isspace()` and Go's `unicode.IsSpace` all treat as whitespace. Left out on purpose:
 * U+FEFF (JavaScript only), U+0085 (not JavaScript), U+001C..U+001F (Python only).
 */
const SEPARATORS = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
  0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
])

export const MAX_TOKEN_CHARS = 16 * 1024
const TOLERANCE_S = 60
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Canonical unpadded base64url (RFC 4648 section 3.5 and 5): alphabet, length, zero unused bits. */
export function isCanonicalBase64url(segment: string): boolean {
  if (segment.length === 0 || segment.length % 4 === 1) return false
  for (let i = 0; i < segment.length; i++) if (!ALPHABET.includes(segment[i]!)) return false
  const last = ALPHABET.indexOf(segment[segment.length - 1]!)
  if (segment.length % 4 === 2) return (last & 0b1111) === 0
  if (segment.length % 4 === 3) return (last & 0b11) === 0
  return true
}

function jsonOf(segment: string): unknown {
  try {
    return JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')))
  } catch {
    return undefined
  }
}

function trimSeparators(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && SEPARATORS.has(value.charCodeAt(start))) start++
  while (end > start && SEPARATORS.has(value.charCodeAt(end - 1))) end--
  return value.slice(start, end)
}

/** The scope tokens of a `scope` claim, split on SEPARATORS only. */
export function scopeTokens(scope: string): string[] {
  const tokens: string[] = []
  let current = ''
  for (const char of scope) {
    if (SEPARATORS.has(char.codePointAt(0)!)) {
      if (current !== '') tokens.push(current)
      current = ''
    } else current += char
  }
  if (current !== '') tokens.push(current)
  return tokens
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0
const isSafeIntAtLeastZero = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const absent = (v: unknown) => v === undefined || v === null
/** The README's documented reading of optional ids: JSON null and '' are absent. */
const absentId = (v: unknown) => absent(v) || v === ''

function refuse(code: RefusalCode, stage: Stage, why: string): Verdict {
  return { ok: false, code, stage, why }
}

function requirementsFor(setup: OracleSetup, path: string): RouteRequirements {
  let best = '/'
  for (const prefix of Object.keys(setup.routes)) {
    const under = path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)
    if (under && prefix.length > best.length) best = prefix
  }
  return setup.routes[best]!
}

/** The bearer token of a header value, or the refusal the contract gives before any parsing. */
export function extractToken(header: string | null): string | Verdict {
  if (header === null) return refuse('missing_token', 'extract', 'no header')
  if (header.slice(0, 6).toLowerCase() !== 'bearer') return refuse('missing_token', 'extract', 'not Bearer')
  if (!AFTER_SCHEME.has(header.charCodeAt(6))) return refuse('missing_token', 'extract', 'no whitespace after Bearer')
  const token = trimSeparators(header.slice(7))
  if (token === '') return refuse('missing_token', 'extract', 'Bearer and nothing')
  return token
}

export function createOracle(setup: OracleSetup) {
  const keys = createLocalJWKSet(setup.jwks)
  const currentDate = new Date(setup.nowS * 1000)

  /** Token-level checks up to the key lookup: what can be decided without any key. */
  function checkShape(token: string): Verdict | { kid: string } {
    if (token.length > MAX_TOKEN_CHARS) return refuse('invalid_token', 'token', 'over 16 KiB')
    const parts = token.split('.')
    if (parts.length !== 3) return refuse('invalid_token', 'token', 'not three segments')
    if (!parts.every(isCanonicalBase64url)) return refuse('invalid_token', 'token', 'not canonical base64url')
    const header = jsonOf(parts[0]!)
    if (!isObject(header)) return refuse('invalid_token', 'token', 'header is not a JSON object')
    if (header['alg'] !== 'ES256') return refuse('invalid_token', 'token', 'alg is not ES256')
    if (Object.hasOwn(header, 'crit')) return refuse('invalid_token', 'token', 'crit is not understood')
    if (!isNonEmptyString(header['kid'])) return refuse('invalid_token', 'token', 'no kid')
    if (Buffer.from(parts[2]!, 'base64url').length !== 64) return refuse('invalid_token', 'token', 'signature size')
    return { kid: header['kid'] }
  }

  async function checkSignature(
    token: string,
    kid: string,
  ): Promise<{ refusal: Verdict } | { claims: Record<string, unknown> }> {
    if (setup.jwks.keys.filter((k) => k.kid === kid).length !== 1) {
      return { refusal: refuse('invalid_token', 'token', 'kid names no key or several') }
    }
    try {
      await jwtVerify(token, keys, {
        algorithms: ['ES256'],
        issuer: setup.issuer,
        audience: setup.audience,
        currentDate,
        clockTolerance: TOLERANCE_S,
      })
    } catch (error) {
      // The one place jose is stricter than the documented behaviour: an optional claim that is
      // JSON null reads as absent (README), and jose wants `nbf` to be a number when present.
      const nullNbf = error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf'
      if (!nullNbf || (jsonOf(token.split('.')[1]!) as Record<string, unknown>)['nbf'] !== null) {
        return { refusal: refuse('invalid_token', 'token', `jose: ${(error as Error).message}`) }
      }
    }
    const payload = jsonOf(token.split('.')[1]!)
    if (!isObject(payload)) return { refusal: refuse('invalid_token', 'token', 'payload is not a JSON object') }
    return { claims: payload }
  }

  function checkClaims(c: Record<string, unknown>): Verdict | undefined {
    const bad = (why: string) => refuse('invalid_token', 'claims', why)
    if (c['iss'] !== setup.issuer) return bad('iss')
    const aud = c['aud']
    const audOk =
      typeof aud === 'string'
        ? aud === setup.audience
        : Array.isArray(aud) && aud.every((a) => typeof a === 'string') && aud.includes(setup.audience)
    if (!audOk) return bad('aud')
    if (!isSafeIntAtLeastZero(c['exp']) || c['exp'] <= setup.nowS) return bad('exp')
    const nbf = c['nbf']
    if (!absent(nbf) && (!Number.isSafeInteger(nbf) || (nbf as number) > setup.nowS + TOLERANCE_S)) return bad('nbf')
    if (!isSafeIntAtLeastZero(c['iat']) || c['iat'] > setup.nowS + TOLERANCE_S) return bad('iat')
    for (const name of ['jti', 'sub', 'client_id', 'sid', 'root_sid']) if (!isNonEmptyString(c[name])) return bad(name)
    if (c['sub_type'] !== 'user' && c['sub_type'] !== 'application') return bad('sub_type')
    if (!['session', 'gateway', 'resource'].includes(c['use'] as string)) return bad('use')
    if (!absent(c['scope']) && typeof c['scope'] !== 'string') return bad('scope')
    const target = c['target']
    if (!absent(target) && !(Array.isArray(target) && target.every(isNonEmptyString))) return bad('target')
    for (const name of ['agent_session_id', 'delegation_edge_id', 'source_session_id', 'target_session_id']) {
      if (!absent(c[name]) && typeof c[name] !== 'string') return bad(name)
    }
    const path = c['delegation_path']
    if (!absent(path) && !(Array.isArray(path) && path.every((p) => typeof p === 'string'))) return bad('path')
    const chain = c['delegation_chain']
    if (!absent(chain)) {
      if (!Array.isArray(chain)) return bad('delegation_chain')
      for (const link of chain) {
        if (!isObject(link) || !isNonEmptyString(link['application_id'])) return bad('delegation_chain link')
        for (const id of ['agent_session_id', 'delegation_edge_id']) {
          if (!absent(link[id]) && typeof link[id] !== 'string') return bad(`delegation_chain ${id}`)
        }
      }
    }
    for (const name of ['hop_count', 'delegation_graph_epoch']) {
      if (!absent(c[name]) && !isSafeIntAtLeastZero(c[name])) return bad(name)
    }
    if (c['zone_id'] !== setup.zoneId) return refuse('invalid_zone', 'claims', 'zone_id')
    return undefined
  }

  function checkRequirements(c: Record<string, unknown>, req: RouteRequirements): Verdict | undefined {
    if (c['use'] !== req.requiredUse) return refuse('invalid_token', 'requirements', 'use')
    const granted = typeof c['scope'] === 'string' ? scopeTokens(c['scope']) : []
    if (!req.requiredScopes.every((s) => granted.includes(s))) {
      return refuse('insufficient_scope', 'requirements', 'scope')
    }
    const targets = Array.isArray(c['target']) ? (c['target'] as string[]) : []
    if (!req.requiredTargets.every((t) => targets.includes(t))) return refuse('invalid_token', 'requirements', 'target')
    if (req.requireAgent && absentId(c['agent_session_id'])) return refuse('session_required', 'requirements', 'agent')
    if (req.requireDelegation && absentId(c['delegation_edge_id'])) {
      return refuse('delegation_required', 'requirements', 'delegation')
    }
    const hops = absent(c['hop_count']) ? 0 : (c['hop_count'] as number)
    if (hops > req.maxHopCount) return refuse('hop_count_exceeded', 'requirements', 'hops')
    const apps = Array.isArray(c['delegation_chain'])
      ? (c['delegation_chain'] as Record<string, unknown>[]).map((l) => l['application_id'])
      : []
    if (!req.requireChainContains.every((a) => apps.includes(a))) {
      return refuse('chain_mismatch', 'requirements', 'chain')
    }
    return undefined
  }

  function checkRevocation(c: Record<string, unknown>): Verdict | undefined {
    for (const anchor of ['sid', 'root_sid', 'agent_session_id', 'delegation_edge_id']) {
      const value = c[anchor]
      if (typeof value === 'string' && value !== '' && setup.revokedAnchors.has(value)) {
        return refuse('session_revoked', 'revocation', anchor)
      }
    }
    const epoch = c['delegation_graph_epoch']
    if (typeof epoch === 'number' && setup.zoneEpoch !== undefined && setup.zoneEpoch > epoch) {
      return refuse('delegation_stale', 'revocation', 'epoch')
    }
    return undefined
  }

  return {
    /** The full verdict for one request: extraction, token, claims, route requirements, revocation. */
    async decide(header: string | null, path: string): Promise<Verdict> {
      const token = extractToken(header)
      if (typeof token !== 'string') return token
      const shape = checkShape(token)
      if ('ok' in shape) return shape
      const signed = await checkSignature(token, shape.kid)
      if ('refusal' in signed) return signed.refusal
      const { claims } = signed
      return (
        checkClaims(claims) ??
        checkRequirements(claims, requirementsFor(setup, path)) ??
        checkRevocation(claims) ?? { ok: true }
      )
    },
    /** Whether a token passes the checks that need no key (what may still meet a JWKS outage). */
    shapeHolds(header: string | null): boolean {
      const token = extractToken(header)
      return typeof token === 'string' && !('ok' in checkShape(token))
    },
  }
}

export type Oracle = ReturnType<typeof createOracle>
