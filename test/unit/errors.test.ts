import { describe, expect, test } from 'vitest'
import { ERROR_TABLE } from '../../src/index.js'

// Caracal's own client-facing texts (caracal-mandates.md section 4).
const CARACAL = {
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
  insufficient_scope: [undefined, 'Request a mandate that includes every required scope for this route.'],
  session_required: ['Session required', 'Use a resource mandate issued for a governed Session.'],
  delegation_required: ['Delegation required', 'Use a mandate produced by a delegated grant flow.'],
  chain_mismatch: [undefined, 'Check requireChainContains and the mandate delegation chain.'],
  hop_count_exceeded: ['Hop count exceeded', 'Reduce delegation depth or raise maxHopCount deliberately.'],
} as const

describe('every Caracal code speaks Caracal’s own texts', () => {
  test.each(Object.entries(CARACAL))('%s', (code, [description, hint]) => {
    const spec = ERROR_TABLE[code as keyof typeof ERROR_TABLE]
    if (description !== undefined) expect(spec.description).toBe(description)
    expect(spec.hint).toBe(hint)
  })
})
