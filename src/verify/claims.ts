/** The claims of a signature-checked payload: registered claims, Caracal's claim shapes and the zone, into a frozen `Mandate`. */
import { CaracalError } from '../errors.js'
import type { DelegationChainLink, Mandate, MandateUse } from './mandate.js'

/** Clock tolerance for `nbf` and `iat`, in seconds (Caracal's verifiers use the same). */
export const CLOCK_TOLERANCE_S = 60

export interface ClaimExpectations {
  readonly issuer: string
  readonly audience: string
  readonly zoneId: string
}

type Payload = Record<string, unknown>

function invalid(claim: string, reason: string): CaracalError {
  return new CaracalError('invalid_token', `claim \`${claim}\` ${reason}`, { claim })
}

function isIntAtLeastZero(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function requiredString(payload: Payload, claim: string): string {
  const value = payload[claim]
  if (value === undefined || value === null) throw invalid(claim, 'is missing')
  if (typeof value !== 'string' || value.length === 0) throw invalid(claim, 'must be a non-empty string')
  return value
}

// Caracal's STS omits absent optional claims. Its TypeScript verifier reads `null` and `''` as
// absent too (its Go and Python verifiers test these ids against the empty string), so the same
// mandate gives the same `Mandate` here: an empty `agent_session_id` is no agent session.
function optionalString(payload: Payload, claim: string): string | undefined {
  const value = payload[claim]
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string') throw invalid(claim, 'must be a string')
  return value
}

/** `target` items must be non-empty; `delegation_path` is any string[] (caracal-mandates.md section 1). */
function checkStringArray(payload: Payload, claim: string, nonEmpty: boolean): void {
  const value = payload[claim]
  if (value === undefined || value === null) return
  if (!Array.isArray(value)) throw invalid(claim, 'must be an array of strings')
  for (const item of value) {
    if (typeof item !== 'string') throw invalid(claim, 'must contain only strings')
    if (nonEmpty && item.length === 0) throw invalid(claim, 'must contain only non-empty strings')
  }
}

/** An optional integer claim; `signed` allows values below zero (only `nbf` is unbounded in the contract). */
function optionalInt(payload: Payload, claim: string, signed = false): number | undefined {
  const value = payload[claim]
  if (value === undefined || value === null) return undefined
  if (signed) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(claim, 'must be an integer')
  } else if (!isIntAtLeastZero(value)) throw invalid(claim, 'must be an integer >= 0')
  return value
}

const EMPTY: readonly string[] = Object.freeze([])
const EMPTY_CHAIN: readonly DelegationChainLink[] = Object.freeze([])
const USES: ReadonlySet<string> = new Set(['session', 'gateway', 'resource'])

function delegationChain(payload: Payload): readonly DelegationChainLink[] {
  const value = payload['delegation_chain']
  if (value === undefined || value === null) return EMPTY_CHAIN
  if (!Array.isArray(value)) throw invalid('delegation_chain', 'must be an array')
  const links: DelegationChainLink[] = []
  for (const item of value) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw invalid('delegation_chain', 'must contain only objects')
    }
    const link = item as Payload
    const applicationId = link['application_id']
    if (typeof applicationId !== 'string' || applicationId.length === 0) {
      throw invalid('delegation_chain', 'links need a non-empty `application_id`')
    }
    const agentSessionId = optionalString(link, 'agent_session_id')
    const delegationEdgeId = optionalString(link, 'delegation_edge_id')
    links.push(Object.freeze({ applicationId, agentSessionId, delegationEdgeId }))
  }
  return Object.freeze(links)
}

// Freezing an array is costly in JavaScriptCore (many times an object's) and a mandate holds
// several (aud, scope, target); verified mandates repeat the same few lists, so frozen lists are
// shared by content. Bounded: cleared when full, and long lists are never kept. Only verified
// payloads reach this.
const sharedLists = new Map<string, readonly string[]>()
const MAX_SHARED_LISTS = 1024
const MAX_SHARED_KEY = 1024

/** Freezes a list not yet shared and keeps it under `key` (callers look the key up first). */
function share(key: string, list: string[]): readonly string[] {
  Object.freeze(list)
  if (key.length <= MAX_SHARED_KEY) {
    if (sharedLists.size >= MAX_SHARED_LISTS) sharedLists.clear()
    sharedLists.set(key, list)
  }
  return list
}

/** A frozen list equal to `items` (all strings); `items` itself may be the one frozen. */
function frozenList(items: string[]): readonly string[] {
  if (items.length === 0) return EMPTY
  if (items.length > 64) return Object.freeze(items)
  // Length-prefixed, so no two different lists share a key whatever their strings hold.
  let key = 'l'
  for (let i = 0; i < items.length; i++) key += `${items[i]!.length}:${items[i]}`
  return sharedLists.get(key) ?? share(key, items)
}

/**
 * The whitespace all three of Caracal's verifiers split `scope` on: JavaScript's `\s`, Python's
 * `str.split()` and Go's `strings.Fields` all treat these as separators. A character only some of
 * them split on (U+FEFF: JavaScript alone; U+001C..U+001F: Python alone; U+0085: Python and Go)
 * stays inside a token, so no scope is granted here that one of them would not grant.
 */
export const SCOPE_SEPARATORS = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/

function scopesOf(scope: string): readonly string[] {
  if (scope.length === 0) return EMPTY
  const key = `s${scope}`
  return (
    sharedLists.get(key) ??
    share(
      key,
      scope.split(SCOPE_SEPARATORS).filter((s) => s.length > 0),
    )
  )
}

function isStringList(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false
  return true
}

// Object.values rather than for...in: cheaper in JavaScriptCore (Bun) and V8. Only the
// top level of the claims needs the names (freezeClaims); nested values go through here.
function deepFreeze(value: object): void {
  Object.freeze(value)
  const inner: readonly unknown[] = Array.isArray(value) ? value : Object.values(value)
  for (let i = 0; i < inner.length; i++) {
    const v = inner[i]
    if (typeof v === 'object' && v !== null) deepFreeze(v)
  }
}

/** Freezes the raw claims; string lists among them become shared frozen lists of the same content. */
function freezeClaims(claims: Payload): void {
  for (const name in claims) {
    const v = claims[name]
    if (typeof v !== 'object' || v === null) continue
    // An own "__proto__" key (JSON.parse makes one) must not be assigned: that sets the prototype.
    if (isStringList(v) && name !== '__proto__') claims[name] = frozenList(v)
    else deepFreeze(v)
  }
  Object.freeze(claims)
}

/**
 * Checks the registered claims, the shape of every Caracal claim and the zone, in Caracal's order:
 * iss, aud, exp, nbf, iat, then required claims and types (`invalid_token`), then `zone_id`
 * (`invalid_zone`). `nowS` is the current time in seconds.
 */
export function mandateFromPayload(payload: unknown, expected: ClaimExpectations, nowS: number): Mandate {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new CaracalError('invalid_token', 'payload is not a JSON object')
  }
  const claims = payload as Payload

  const iss = claims['iss']
  if (typeof iss !== 'string') throw invalid('iss', 'is missing or not a string')
  if (iss !== expected.issuer)
    throw invalid('iss', `is ${JSON.stringify(iss)}, expected ${JSON.stringify(expected.issuer)}`)

  const aud = claims['aud']
  if (typeof aud !== 'string' && !isStringList(aud))
    throw invalid('aud', 'is missing or not a string or array of strings')
  if (typeof aud === 'string' ? aud !== expected.audience : !aud.includes(expected.audience)) {
    throw invalid('aud', `does not contain ${JSON.stringify(expected.audience)}`)
  }

  const exp = claims['exp']
  if (!isIntAtLeastZero(exp)) throw invalid('exp', 'is missing or not an integer >= 0')
  // No tolerance on expiry: Caracal re-checks `exp <= now` at execution time.
  if (exp <= nowS) throw invalid('exp', `expired ${nowS - exp}s ago`)

  const nbf = optionalInt(claims, 'nbf', true)
  if (nbf !== undefined && nbf > nowS + CLOCK_TOLERANCE_S) throw invalid('nbf', 'is in the future')

  const iat = claims['iat']
  if (!isIntAtLeastZero(iat)) throw invalid('iat', 'is missing or not an integer >= 0')
  if (iat > nowS + CLOCK_TOLERANCE_S) throw invalid('iat', 'is in the future')

  const jti = requiredString(claims, 'jti')
  const sub = requiredString(claims, 'sub')
  const subType = claims['sub_type']
  if (subType !== 'user' && subType !== 'application') throw invalid('sub_type', 'must be "user" or "application"')
  const clientId = requiredString(claims, 'client_id')
  const sid = requiredString(claims, 'sid')
  const rootSid = requiredString(claims, 'root_sid')
  const use = claims['use']
  if (typeof use !== 'string' || !USES.has(use)) throw invalid('use', 'must be "session", "gateway" or "resource"')

  const scopeClaim = claims['scope']
  if (scopeClaim !== undefined && scopeClaim !== null && typeof scopeClaim !== 'string') {
    throw invalid('scope', 'must be a space-delimited string')
  }
  const scope = typeof scopeClaim === 'string' ? scopeClaim : ''
  checkStringArray(claims, 'target', true)
  const agentSessionId = optionalString(claims, 'agent_session_id')
  const delegationEdgeId = optionalString(claims, 'delegation_edge_id')
  const sourceSessionId = optionalString(claims, 'source_session_id')
  const targetSessionId = optionalString(claims, 'target_session_id')
  checkStringArray(claims, 'delegation_path', false)
  const chain = delegationChain(claims)
  const hopCount = optionalInt(claims, 'hop_count') ?? 0
  const delegationGraphEpoch = optionalInt(claims, 'delegation_graph_epoch')

  const zone = claims['zone_id']
  if (zone === undefined || zone === null || zone === '') {
    throw new CaracalError('invalid_zone', 'claim `zone_id` is missing', { claim: 'zone_id' })
  }
  if (zone !== expected.zoneId) {
    throw new CaracalError(
      'invalid_zone',
      `claim \`zone_id\` is ${JSON.stringify(zone)}, expected ${JSON.stringify(expected.zoneId)}`,
      {
        claim: 'zone_id',
      },
    )
  }

  freezeClaims(claims)
  const mandate: Mandate = {
    issuer: iss,
    audience: typeof aud === 'string' ? frozenList([aud]) : (claims['aud'] as readonly string[]),
    sub,
    subType,
    clientId,
    zoneId: expected.zoneId,
    jti,
    use: use as MandateUse,
    issuedAt: iat,
    expiresAt: exp,
    notBefore: nbf,
    scope,
    scopes: scopesOf(scope),
    targets: (claims['target'] as readonly string[] | null | undefined) ?? EMPTY,
    authorityRecordId: sid,
    rootAuthorityRecordId: rootSid,
    agentSessionId,
    delegationEdgeId,
    sourceSessionId,
    targetSessionId,
    delegationPath: (claims['delegation_path'] as readonly string[] | null | undefined) ?? EMPTY,
    delegationChain: chain,
    hopCount,
    delegationGraphEpoch,
    claims,
  }
  return Object.freeze(mandate)
}
