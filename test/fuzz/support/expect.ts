/**
 * What every answer must look like, whatever the input: the handler ran exactly when the oracle
 * says the mandate is valid, and a refusal is Caracal's JSON error with the oracle's code and the
 * contract's status and headers. Throws (fast-check then shrinks) with the whole case in the message.
 */
import type { Sent } from './fixture.js'
import type { RefusalCode, Verdict } from './oracle.js'
import { count } from './run.js'

const STATUS: Record<RefusalCode, number> = {
  missing_token: 401,
  invalid_token: 401,
  invalid_zone: 401,
  session_revoked: 401,
  delegation_stale: 401,
  insufficient_scope: 403,
  session_required: 403,
  delegation_required: 403,
  chain_mismatch: 403,
  hop_count_exceeded: 403,
}

/** Caracal's client-facing texts (caracal-mandates.md section 4); `null`: any non-empty text. */
const TEXTS: Record<RefusalCode, readonly [string | RegExp | null, string]> = {
  missing_token: ['Missing bearer token', 'Send Authorization: Bearer <Caracal mandate>.'],
  invalid_token: [
    'Token validation failed',
    'Check issuer, audience, signature, expiry, token use, scopes, and targets.',
  ],
  invalid_zone: ['Token zone validation failed', 'Check the configured zoneId and the mandate zone_id claim.'],
  session_revoked: ['Session revoked', 'Refresh the mandate or start a new authorized session.'],
  delegation_stale: [
    'Delegation graph changed',
    'Refresh the mandate so delegated authority is evaluated against the latest graph.',
  ],
  insufficient_scope: [/^Missing scope: \S/, 'Request a mandate that includes every required scope for this route.'],
  session_required: ['Session required', 'Use a resource mandate issued for a governed Session.'],
  delegation_required: ['Delegation required', 'Use a mandate produced by a delegated grant flow.'],
  chain_mismatch: [null, 'Check requireChainContains and the mandate delegation chain.'],
  hop_count_exceeded: ['Hop count exceeded', 'Reduce delegation depth or raise maxHopCount deliberately.'],
}

export class Mismatch extends Error {}

function fail(what: string, sent: Sent, verdict: Verdict | undefined, extra = ''): never {
  const header = sent.authorization === null ? 'none' : JSON.stringify(sent.authorization.slice(0, 2000))
  throw new Mismatch(
    `${what}\n  Authorization: ${header}\n  answer: ${sent.status} (handler ran: ${sent.ran})\n` +
      `  oracle: ${JSON.stringify(verdict)}${extra}`,
  )
}

interface Body {
  error?: unknown
  error_description?: unknown
  error_hint?: unknown
}

/** The parsed body of a refusal, after checking Caracal's shape and headers for `status`. */
export async function refusalBody(sent: Sent, verdict?: Verdict): Promise<Body> {
  const { response } = sent
  if (sent.ran) fail('the handler ran for a refused request', sent, verdict)
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) {
    fail('refusal is not application/json', sent, verdict)
  }
  let body: Body
  if (sent.method === 'HEAD') {
    // No body to read: the code is the challenge's `error` (absent only for missing_token).
    if ((await response.clone().text()) !== '') fail('HEAD refusal has a body', sent, verdict)
    const challenge = /\berror="([^"]*)"/.exec(response.headers.get('www-authenticate') ?? '')
    const error = sent.status === 503 ? 'temporarily_unavailable' : (challenge?.[1] ?? 'missing_token')
    body = { error, error_description: '', error_hint: '' }
  } else {
    try {
      body = (await response.clone().json()) as Body
    } catch {
      fail('refusal body is not JSON', sent, verdict)
    }
  }
  const keys = Object.keys(body).sort().join(',')
  if (keys !== 'error,error_description,error_hint') fail(`refusal body has keys ${keys}`, sent, verdict)
  if (typeof body.error_description !== 'string' || typeof body.error_hint !== 'string') {
    fail('refusal texts are not strings', sent, verdict)
  }
  if (sent.status === 401 || sent.status === 403) {
    if (!/^Bearer\b/.test(response.headers.get('www-authenticate') ?? '')) {
      fail('401/403 without a Bearer WWW-Authenticate challenge', sent, verdict)
    }
  }
  if (sent.status === 503 && response.headers.get('retry-after') === null)
    fail('503 without Retry-After', sent, verdict)
  return body
}

/** The handler ran iff the oracle accepts; otherwise the oracle's code, its status, Caracal's shape. */
export async function expectVerdict(sent: Sent, verdict: Verdict): Promise<void> {
  count(verdict.ok ? 'accepted' : verdict.code)
  if (verdict.ok) {
    if (sent.status !== 200 || !sent.ran) {
      const body = sent.status === 200 ? '' : `\n  body: ${await sent.response.text()}`
      fail('a mandate the oracle accepts was refused', sent, verdict, body)
    }
    return
  }
  const body = await refusalBody(sent, verdict)
  if (body.error !== verdict.code || sent.status !== STATUS[verdict.code]) {
    fail(`expected ${STATUS[verdict.code]} ${verdict.code}, got ${sent.status} ${String(body.error)}`, sent, verdict)
  }
}

/** The refusal's description and hint are Caracal's own texts for its code. */
export async function expectCaracalTexts(sent: Sent): Promise<void> {
  if (sent.status === 200) return
  const body = await refusalBody(sent)
  const texts = TEXTS[body.error as RefusalCode]
  if (texts === undefined) fail(`unknown error code ${String(body.error)}`, sent, undefined)
  const [description, hint] = texts
  const descriptionOk =
    description === null
      ? (body.error_description as string).length > 0
      : typeof description === 'string'
        ? body.error_description === description
        : description.test(body.error_description as string)
  if (!descriptionOk || body.error_hint !== hint) {
    fail(`texts of ${String(body.error)} are not Caracal's`, sent, undefined, `\n  body: ${JSON.stringify(body)}`)
  }
}
