/**
 * The claims of a signed mandate: issuer, audience, times, the required claims and their types, the
 * zone, `use`, and how optional claims read. One topic of the core contract (composed in
 * ./index.ts), run unchanged in every runtime.
 */
import { getMandate, withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'
import { DEV_ZONE } from '../../support/fixture.js'
import { equal, type ContractCase } from '../assert.js'
import { AUDIENCE, ORIGIN, devOptions, fixture, nowS, refusal } from './setup.js'

export function claimsCases(): ContractCase[] {
  return [
    refusal('a wrong issuer is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ iss: 'https://evil.example' })),
    ),
    refusal('a wrong audience is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ aud: ['resource://other'] })),
    ),
    {
      name: 'aud as a plain string is accepted',
      async run() {
        const f = await fixture()
        equal((await f.call(await f.dev.mint({ aud: AUDIENCE }))).status, 200, 'status')
      },
    },
    refusal('an expired mandate is invalid_token (no tolerance on exp)', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ exp: nowS() - 1, iat: nowS() - 100 })),
    ),
    refusal('exp equal to now is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ exp: nowS() })),
    ),
    refusal('nbf beyond the 60 s tolerance is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ nbf: nowS() + 120 })),
    ),
    {
      name: 'nbf within the 60 s tolerance is accepted',
      async run() {
        const f = await fixture()
        equal((await f.call(await f.dev.mint({ nbf: nowS() + 30 }))).status, 200, 'status')
      },
    },
    refusal('iat more than 60 s in the future is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ iat: nowS() + 120, exp: nowS() + 600 })),
    ),
    ...(['jti', 'sub', 'sub_type', 'client_id', 'sid', 'root_sid', 'use', 'exp', 'iat', 'iss', 'aud'] as const).map(
      (claim) =>
        refusal(`missing ${claim} is invalid_token`, 401, 'invalid_token', async (f) =>
          f.call(await f.dev.mint({ [claim]: undefined })),
        ),
    ),
    ...(
      [
        ['sub', 42],
        ['sub', ''],
        ['sub_type', 'robot'],
        ['client_id', ['a']],
        ['exp', 'soon'],
        ['exp', 1.5e10 + 0.5],
        ['iat', -1],
        ['scope', ['billing:read']],
        ['target', 'resource://x'],
        ['target', ['']],
        ['agent_session_id', 7],
        ['delegation_edge_id', {}],
        ['delegation_path', [1]],
        ['delegation_chain', [{}]],
        ['delegation_chain', ['app']],
        ['hop_count', -1],
        ['hop_count', 1.5],
        ['delegation_graph_epoch', '3'],
        ['use', 'admin'],
        ['nbf', 'later'],
        ['nbf', 1.5],
        ['iss', 42],
        ['aud', 42],
        ['aud', [AUDIENCE, 7]],
        ['jti', 5],
        ['sid', 7],
        ['root_sid', ''],
        ['source_session_id', 3],
        ['target_session_id', ['s']],
        ['delegation_path', 'edge-1'],
        ['delegation_chain', { application_id: 'app' }],
        ['delegation_chain', [{ application_id: '' }]],
      ] as const
    ).map(([claim, value]) =>
      refusal(`${claim} = ${JSON.stringify(value)} is invalid_token`, 401, 'invalid_token', async (f) =>
        f.call(await f.dev.mint({ [claim]: value })),
      ),
    ),
    {
      name: 'loosely typed optional claims the contract allows are accepted (nbf any integer, empty delegation_path items, null optionals)',
      async run() {
        const f = await fixture()
        for (const claims of [
          { nbf: -5 },
          { delegation_path: [''] },
          { scope: null, target: null, agent_session_id: null, hop_count: null },
        ]) {
          equal((await f.call(await f.dev.mint(claims))).status, 200, JSON.stringify(claims))
        }
      },
    },
    refusal('a missing zone_id is invalid_zone', 401, 'invalid_zone', async (f) =>
      f.call(await f.dev.mint({ zone_id: undefined })),
    ),
    refusal('another zone_id is invalid_zone', 401, 'invalid_zone', async (f) =>
      f.call(await f.dev.mint({ zone_id: 'zone-b' })),
    ),
    refusal('use "session" is invalid_token at a resource server', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ use: 'session' })),
    ),
    {
      name: 'optional id claims that are null or empty read as absent, as in Caracal’s verifier',
      async run() {
        const dev = await createDevIssuer(DEV_ZONE)
        const options = devOptions(dev)
        let mandate: ReturnType<typeof getMandate> | undefined
        const h = withCaracal((req) => ((mandate = getMandate(req)), new Response('ok')), options)
        const agent = withCaracal(() => new Response('ok'), { ...options, requireAgent: true })
        const token = await dev.mint({
          agent_session_id: '',
          delegation_edge_id: null,
          source_session_id: '',
          delegation_chain: [{ application_id: 'a', agent_session_id: '' }],
        })
        const request = () => new Request(ORIGIN, { headers: { authorization: `Bearer ${token}` } })
        equal((await h(request())).status, 200, 'status')
        equal(mandate!.agentSessionId, undefined, 'agentSessionId')
        equal(mandate!.delegationEdgeId, undefined, 'delegationEdgeId')
        equal(mandate!.sourceSessionId, undefined, 'sourceSessionId')
        equal(mandate!.delegationChain[0]?.agentSessionId, undefined, 'chain link agentSessionId')
        const refused = await agent(request())
        equal(refused.status, 403, 'requireAgent status')
        equal(((await refused.json()) as { error: string }).error, 'session_required', 'requireAgent error')
      },
    },
  ]
}
