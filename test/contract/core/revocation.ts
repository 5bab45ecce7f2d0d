/**
 * The revocation store: revoked anchors, delegation epochs, stores that fail or hang, Caracal's
 * async store interface, and revocation seen on a cached mandate. One topic of the core contract
 * (composed in ./index.ts), run unchanged in every runtime.
 */
import { equal, type ContractCase } from '../assert.js'
import { expectRefusal, fixture } from './setup.js'

export function revocationCases(): ContractCase[] {
  return [
    ...(['sid', 'root_sid', 'agent_session_id', 'delegation_edge_id'] as const).map((anchor) => ({
      name: `a revoked ${anchor} is session_revoked`,
      async run() {
        const f = await fixture()
        const token = await f.dev.mint({
          agent_session_id: 'as-1',
          delegation_edge_id: 'edge-1',
          sid: 'sid-1',
          root_sid: 'root-1',
        })
        equal((await f.call(token)).status, 200, 'before revocation')
        f.calls = 0
        f.store.markRevoked(
          { sid: 'sid-1', root_sid: 'root-1', agent_session_id: 'as-1', delegation_edge_id: 'edge-1' }[anchor],
        )
        await expectRefusal(await f.call(token), 401, 'session_revoked', f)
      },
    })),
    {
      name: 'a raised zone delegation epoch makes older mandates delegation_stale',
      async run() {
        const f = await fixture()
        const token = await f.dev.mint({ delegation_graph_epoch: 4 })
        f.store.markDelegationEpoch('zone-a', 4)
        equal((await f.call(token)).status, 200, 'same epoch passes')
        f.calls = 0
        f.store.markDelegationEpoch('zone-a', 5)
        await expectRefusal(await f.call(token), 401, 'delegation_stale', f)
        equal((await f.call(await f.dev.mint())).status, 200, 'a mandate without the claim is not epoch-checked')
      },
    },
    {
      name: 'a store that throws gives 503 temporarily_unavailable and the handler does not run',
      async run() {
        const f = await fixture({
          revocations: {
            isRevoked() {
              throw new Error('store down')
            },
          },
        })
        await expectRefusal(await f.call(await f.dev.mint()), 503, 'temporarily_unavailable', f)
      },
    },
    {
      name: 'a store that rejects gives 503 and one that never answers times out to 503',
      async run() {
        const f = await fixture({ revocations: { isRevoked: async () => Promise.reject(new Error('down')) } })
        await expectRefusal(await f.call(await f.dev.mint()), 503, 'temporarily_unavailable', f)
        const g = await fixture({
          revocations: { isRevoked: () => new Promise<boolean>(() => {}) },
          revocationTimeoutMs: 50,
        })
        await expectRefusal(await g.call(await g.dev.mint()), 503, 'temporarily_unavailable', g)
      },
    },
    {
      name: "a store with Caracal's async interface (isRevoked, currentDelegationEpoch) plugs in",
      async run() {
        const revoked = new Set<string>(['sid-bad'])
        const store = {
          async isRevoked(anchor: string) {
            return revoked.has(anchor)
          },
          async markRevoked(anchor: string) {
            revoked.add(anchor)
          },
          async currentDelegationEpoch() {
            return 9
          },
        }
        const f = await fixture({ revocations: store })
        equal(
          (await f.call(await f.dev.mint({ sid: 'sid-ok', delegation_graph_epoch: 9 }))).status,
          200,
          'clean mandate',
        )
        f.calls = 0
        await expectRefusal(await f.call(await f.dev.mint({ sid: 'sid-bad' })), 401, 'session_revoked', f)
        await expectRefusal(await f.call(await f.dev.mint({ delegation_graph_epoch: 8 })), 401, 'delegation_stale', f)
      },
    },
    {
      name: 'a repeated mandate still sees a revocation on the very next request (cache hit)',
      async run() {
        const f = await fixture()
        const token = await f.dev.mint({ sid: 'sid-cached' })
        equal((await f.call(token)).status, 200, 'first')
        equal((await f.call(token)).status, 200, 'second (cached)')
        f.calls = 0
        f.store.markRevoked('sid-cached')
        await expectRefusal(await f.call(token), 401, 'session_revoked', f)
      },
    },
  ]
}
