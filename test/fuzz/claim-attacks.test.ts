// Legit-signed claim attacks: payloads the zone key really signed, with claims deleted, retyped,
// pushed across time boundaries, duplicated, or scopes split on contested whitespace. The answer
// (status and code) is the oracle's, in the contract's order of checks; a failing store or JWKS
// turns into 503 only where the token itself is not already refused.
import fc from 'fast-check'
import { beforeAll, describe, test } from 'vitest'
import { claimEdit, editedEntries, payloadText, scopeString, type ClaimEdit } from './support/claim-arbitraries.js'
import { expectCaracalTexts, expectVerdict, Mismatch, refusalBody } from './support/expect.js'
import { createWorld, METHODS, PATHS, validClaims, type World } from './support/fixture.js'
import { check, count, TIMEOUT_MS } from './support/run.js'
import { alphabetAbuse, applyMutations } from './support/token-arbitraries.js'

let world: World
let storeDown: World
let jwksDown: World

beforeAll(async () => {
  world = await createWorld()
  const failing = {
    isRevoked: () => Promise.reject(new Error('store down')),
    currentDelegationEpoch: () => Promise.reject(new Error('store down')),
  }
  storeDown = await createWorld({ overrides: { revocations: failing } })
  jwksDown = await createWorld({ overrides: { fetch: () => Promise.reject(new Error('no route to STS')) } })
})

const path = fc.constantFrom(...PATHS)
const edits = fc.array(claimEdit, { minLength: 0, maxLength: 4 })

async function sendEdited(target: World, list: readonly ClaimEdit[], at: string, method = 'GET') {
  const token = await target.signPayload(payloadText(editedEntries(list)))
  return target.send(`Bearer ${token}`, at, method)
}

describe('legit-signed claim attacks', { timeout: TIMEOUT_MS }, () => {
  test('legit-signed claim attacks', async () => {
    await check(
      'legit-signed claim attacks',
      fc.asyncProperty(edits, path, fc.constantFrom(...METHODS), async (list, at, method) => {
        const sent = await sendEdited(world, list, at, method)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })

  test('duplicate JSON keys', async () => {
    // The same claim twice, the valid value first or last: only the last may count, as in every
    // Caracal verifier (JSON.parse, Python's json and Go's encoding/json all keep the last).
    const duplicate = claimEdit
      .filter((e) => e.op !== 'delete')
      .map((e) => ({ ...e, op: 'duplicate' as const, first: false }) as ClaimEdit)
    const order = fc.boolean()
    await check(
      'duplicate JSON keys',
      fc.asyncProperty(duplicate, order, path, async (edit, validLast, at) => {
        const valid = validClaims()[(edit as { name: string }).name]
        const list: ClaimEdit[] = validLast
          ? [edit, { op: 'duplicate', name: (edit as { name: string }).name, value: valid, first: false }]
          : [edit]
        const sent = await sendEdited(world, list, at)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })

  test('scope separators', async () => {
    await check(
      'scope separators',
      fc.asyncProperty(scopeString, path, async (scope, at) => {
        const sent = await sendEdited(world, [{ op: 'set', name: 'scope', value: scope }], at)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })

  test('refusal texts', async () => {
    // Random edits, and one edit per refusal code so that each code's texts are surely seen.
    const everyCode = fc.constantFrom<[ClaimEdit[], string]>(
      [[{ op: 'set', name: 'exp', value: 1 }], '/read'],
      [[{ op: 'set', name: 'zone_id', value: 'zone-b' }], '/read'],
      [[{ op: 'set', name: 'sid', value: 'sid-revoked' }], '/read'],
      [[{ op: 'set', name: 'delegation_graph_epoch', value: 1 }], '/read'],
      [[{ op: 'set', name: 'scope', value: 'billing:payout' }], '/read'],
      [[{ op: 'delete', name: 'agent_session_id' }], '/pay'],
      [[{ op: 'delete', name: 'delegation_edge_id' }], '/pay'],
      [[{ op: 'set', name: 'delegation_chain', value: [] }], '/pay'],
      [[{ op: 'set', name: 'hop_count', value: 4 }], '/pay'],
    )
    const cases = fc.oneof(fc.tuple(edits, path), everyCode)
    await check(
      'refusal texts',
      fc.asyncProperty(cases, async ([list, at]) => expectCaracalTexts(await sendEdited(world, list, at))),
    )
  })

  test('store failure', async () => {
    await check(
      'store failure',
      fc.asyncProperty(edits, path, async (list, at) => {
        const sent = await sendEdited(storeDown, list, at)
        const verdict = await storeDown.oracle.decide(sent.authorization, at)
        // Every check before the revocation lookup still decides; past it, the store's fault is 503.
        if (verdict.ok || verdict.stage === 'revocation') {
          count('temporarily_unavailable')
          const body = await refusalBody(sent, verdict)
          if (sent.status !== 503 || body.error !== 'temporarily_unavailable') {
            throw new Mismatch(`store down: expected 503, got ${sent.status} ${String(body.error)}`)
          }
        } else await expectVerdict(sent, verdict)
      }),
    )
  })

  test('JWKS failure', async () => {
    // Legit-signed payloads, some of them then mangled (padding, `+/`, blanks, lost segments).
    const mangling = fc.array(alphabetAbuse, { maxLength: 2 })
    await check(
      'JWKS failure',
      fc.asyncProperty(edits, mangling, path, async (list, mutations, at) => {
        const token = await jwksDown.signPayload(payloadText(editedEntries(list)))
        const sent = await jwksDown.send(`Bearer ${applyMutations(token, mutations)}`, at)
        // No keys were ever had: a token whose shape holds may be fine (503); one that is already
        // malformed without any key is a 401, never a 503.
        if (jwksDown.oracle.shapeHolds(sent.authorization)) {
          count('temporarily_unavailable')
          const body = await refusalBody(sent)
          if (sent.status !== 503 || body.error !== 'temporarily_unavailable') {
            throw new Mismatch(`JWKS down: expected 503, got ${sent.status} ${String(body.error)}`)
          }
        } else await expectVerdict(sent, await jwksDown.oracle.decide(sent.authorization, at))
      }),
    )
  })
})
