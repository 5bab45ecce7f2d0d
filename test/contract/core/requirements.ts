/**
 * Per-handler requirements on a valid mandate: `requiredUse`, targets, scopes, agent, delegation,
 * chain and hop count. One topic of the core contract (composed in ./index.ts), run unchanged in
 * every runtime.
 */
import { equal, match, type ContractCase } from '../assert.js'
import { expectRefusal, fixture, refusal } from './setup.js'

export function requirementsCases(): ContractCase[] {
  return [
    {
      name: 'requiredUse "gateway" accepts gateway mandates and refuses resource ones',
      async run() {
        const f = await fixture({ requiredUse: 'gateway' })
        equal((await f.call(await f.dev.mint({ use: 'gateway' }))).status, 200, 'gateway mandate')
        await expectRefusal(await f.call(await f.dev.mint()), 401, 'invalid_token', { ...f, calls: f.calls - 1 })
      },
    },
    refusal(
      'a required target that is not granted is invalid_token',
      401,
      'invalid_token',
      async (f) => f.call(await f.dev.mint({ target: ['resource://billing-api/eu'] })),
      { requiredTargets: ['resource://billing-api/us'] },
    ),
    {
      name: 'all required targets granted pass',
      async run() {
        const f = await fixture({ requiredTargets: ['t1', 't2'] })
        equal((await f.call(await f.dev.mint({ target: ['t2', 't1', 't3'] }))).status, 200, 'status')
      },
    },
    {
      name: 'a missing required scope is insufficient_scope with the scope in WWW-Authenticate',
      async run() {
        const f = await fixture({ requiredScopes: ['billing:read', 'billing:write'] })
        const res = await f.call(await f.dev.mint({ scope: 'billing:read billing:readonly' }))
        match(res.headers.get('www-authenticate'), /scope="billing:read billing:write"/, 'scope parameter')
        const body = (await res.clone().json()) as { error_description: string }
        equal(body.error_description, 'Missing scope: billing:write', 'the description names the missing scope')
        await expectRefusal(res, 403, 'insufficient_scope', f)
      },
    },
    refusal(
      'scopes match exact tokens only ("billing:readonly" is not "billing:read")',
      403,
      'insufficient_scope',
      async (f) => f.call(await f.dev.mint({ scope: 'billing:readonly' })),
      { requiredScopes: ['billing:read'] },
    ),
    refusal(
      'no scope claim grants no scope',
      403,
      'insufficient_scope',
      async (f) => f.call(await f.dev.mint({ scope: undefined })),
      {
        requiredScopes: ['billing:read'],
      },
    ),
    refusal(
      'requireAgent without agent_session_id is session_required',
      403,
      'session_required',
      async (f) => f.call(await f.dev.mint()),
      {
        requireAgent: true,
      },
    ),
    refusal(
      'requireDelegation without delegation_edge_id is delegation_required',
      403,
      'delegation_required',
      async (f) => f.call(await f.dev.mint()),
      { requireDelegation: true },
    ),
    refusal(
      'an application missing from delegation_chain is chain_mismatch',
      403,
      'chain_mismatch',
      async (f) => f.call(await f.dev.mint({ delegation_chain: [{ application_id: 'app-a' }], client_id: 'app-b' })),
      { requireChainContains: 'app-b' },
    ),
    {
      name: 'requireChainContains passes when the application is in the chain',
      async run() {
        const f = await fixture({ requireChainContains: ['app-a', 'app-b'] })
        const token = await f.dev.mint({
          delegation_chain: [{ application_id: 'app-a' }, { application_id: 'app-b', agent_session_id: 'as' }],
        })
        equal((await f.call(token)).status, 200, 'status')
      },
    },
    refusal('hop_count above the default maxHopCount 10 is hop_count_exceeded', 403, 'hop_count_exceeded', async (f) =>
      f.call(await f.dev.mint({ hop_count: 11 })),
    ),
    refusal(
      'hop_count above a configured maxHopCount is hop_count_exceeded',
      403,
      'hop_count_exceeded',
      async (f) => f.call(await f.dev.mint({ hop_count: 3 })),
      { maxHopCount: 2 },
    ),
  ]
}
