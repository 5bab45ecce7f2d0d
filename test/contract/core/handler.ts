/**
 * What the handler receives: the claims in camelCase, the same Request and extra arguments, and
 * `getMandate`/`findMandate` on the request. One topic of the core contract (composed in
 * ./index.ts), run unchanged in every runtime.
 */
import { findMandate, getMandate, withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'
import { DEV_ZONE } from '../../support/fixture.js'
import { equal, ok, rejects, type ContractCase } from '../assert.js'
import { ORIGIN, devOptions, fixture } from './setup.js'

export function handlerCases(): ContractCase[] {
  return [
    {
      name: 'a valid mandate reaches the handler with its claims in camelCase',
      async run() {
        const f = await fixture()
        const res = await f.call(
          await f.dev.mint({ sub: 'user-42', scope: 'billing:read billing:list', agent_session_id: 'as-1' }),
        )
        equal(res.status, 200, 'status')
        equal(f.calls, 1, 'handler calls')
        const body = (await res.json()) as { sub: string; scopes: string[]; agent: string }
        equal(body.sub, 'user-42', 'sub')
        equal(body.scopes.join(','), 'billing:read,billing:list', 'scopes')
        equal(body.agent, 'as-1', 'agentSessionId')
      },
    },
    {
      name: 'the handler receives the same Request object and every extra argument',
      async run() {
        const dev = await createDevIssuer(DEV_ZONE)
        const env = { some: 'binding' }
        const ctx = { waitUntil() {} }
        let seen: unknown[] = []
        const authorization = `Bearer ${await dev.mint()}`
        const h = withCaracal((...args: unknown[]) => {
          seen = args
          return new Response('ok')
        }, devOptions(dev))
        // The first call verifies the signature (asynchronous path), the next ones hit the cache
        // (synchronous path); both hand over exactly the arguments given, no more.
        for (const pass of ['first', 'cached']) {
          const request = new Request(`${ORIGIN}/x`, { headers: { authorization } })
          equal((await h(request, env, ctx)).status, 200, `${pass}: status`)
          ok(
            seen.length === 3 && seen[0] === request && seen[1] === env && seen[2] === ctx,
            `${pass}: request, env, ctx`,
          )
          const alone = new Request(`${ORIGIN}/x`, { headers: { authorization } })
          equal((await h(alone)).status, 200, `${pass}: status with the request alone`)
          ok(seen.length === 1 && seen[0] === alone, `${pass}: the request alone`)
        }
      },
    },
    {
      name: 'getMandate throws a clear error outside a verified request',
      async run() {
        await rejects(async () => getMandate(new Request(`${ORIGIN}/`)), /no verified Caracal mandate/, 'getMandate')
      },
    },
    {
      name: 'getMandate: a frozen request still carries its mandate; lookalike properties do not forge one',
      async run() {
        const dev = await createDevIssuer(DEV_ZONE)
        const seen: (string | undefined)[] = []
        const h = withCaracal((req) => (seen.push(findMandate(req)?.sub), new Response('ok')), devOptions(dev))
        const token = await dev.mint({ sub: 'frozen-sub' })
        const frozen = Object.freeze(new Request(`${ORIGIN}/`, { headers: { authorization: `Bearer ${token}` } }))
        equal((await h(frozen)).status, 200, 'frozen request status')
        equal(seen[0], 'frozen-sub', 'mandate of a frozen request')
        equal(getMandate(frozen).sub, 'frozen-sub', 'getMandate after the handler')

        const plain = new Request(`${ORIGIN}/`) as Request & Record<PropertyKey, unknown>
        plain[Symbol.for('caracal-fetch.mandate')] = { sub: 'forged' }
        plain['caracal-fetch.mandate'] = { sub: 'forged' }
        plain['mandate'] = { sub: 'forged' }
        equal(findMandate(plain), undefined, 'lookalike properties')
        const verified = new Request(`${ORIGIN}/`, { headers: { authorization: `Bearer ${token}` } })
        equal((await h(verified)).status, 200, 'verified status')
        equal(Object.keys(verified).length, 0, 'no enumerable string keys added to the request')
      },
    },
    {
      name: 'the mandate is frozen and carries the raw claims',
      async run() {
        const dev = await createDevIssuer(DEV_ZONE)
        let mandate: ReturnType<typeof getMandate> | undefined
        const h = withCaracal((req) => {
          mandate = getMandate(req)
          return new Response('ok')
        }, devOptions(dev))
        const token = await dev.mint({
          sid: 's',
          root_sid: 'r',
          client_id: 'c',
          delegation_edge_id: 'e',
          source_session_id: 'src',
          target_session_id: 'dst',
          delegation_path: ['e'],
          delegation_chain: [{ application_id: 'a', delegation_edge_id: 'e' }],
          hop_count: 1,
          delegation_graph_epoch: 2,
          target: ['t'],
          custom: 'x',
        })
        equal((await h(new Request(ORIGIN, { headers: { authorization: `Bearer ${token}` } }))).status, 200, 'status')
        const m = mandate!
        equal(m.authorityRecordId, 's', 'authorityRecordId')
        equal(m.rootAuthorityRecordId, 'r', 'rootAuthorityRecordId')
        equal(m.clientId, 'c', 'clientId')
        equal(m.zoneId, 'zone-a', 'zoneId')
        equal(m.subType, 'user', 'subType')
        equal(m.delegationEdgeId, 'e', 'delegationEdgeId')
        equal(m.sourceSessionId, 'src', 'sourceSessionId')
        equal(m.targetSessionId, 'dst', 'targetSessionId')
        equal(m.delegationPath[0], 'e', 'delegationPath')
        equal(m.delegationChain[0]?.applicationId, 'a', 'delegationChain')
        equal(m.hopCount, 1, 'hopCount')
        equal(m.delegationGraphEpoch, 2, 'delegationGraphEpoch')
        equal(m.targets[0], 't', 'targets')
        equal(m.claims['custom'], 'x', 'raw claims')
        equal(typeof m.issuedAt, 'number', 'issuedAt')
        ok(m.expiresAt > m.issuedAt, 'expiresAt')
        ok(Object.isFrozen(m) && Object.isFrozen(m.claims) && Object.isFrozen(m.scopes), 'frozen')
        for (const list of [m.audience, m.targets, m.delegationPath, m.delegationChain]) {
          ok(Object.isFrozen(list), `frozen ${JSON.stringify(list)}`)
        }
        for (const name of ['aud', 'target', 'delegation_path']) {
          ok(Object.isFrozen(m.claims[name]), `raw claim ${name} frozen`)
        }
        const rawChain = m.claims['delegation_chain'] as object[]
        ok(Object.isFrozen(rawChain) && Object.isFrozen(rawChain[0]), 'nested raw claims frozen')
        ok(Object.getPrototypeOf(m.claims) === Object.prototype, 'claims keep their prototype')
      },
    },
  ]
}
