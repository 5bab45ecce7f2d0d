/**
 * Per-path configuration: `routes` by longest prefix under every decoding a router may use,
 * `exclude` on segment boundaries, and routes on a cached mandate. One topic of the core contract
 * (composed in ./index.ts), run unchanged in every runtime.
 */
import { equal, type ContractCase } from '../assert.js'
import { expectRefusal, fixture } from './setup.js'

export function routesCases(): ContractCase[] {
  return [
    {
      name: 'routes: the longest matching prefix wins and replaces only the options it names',
      async run() {
        const f = await fixture({
          requiredScopes: ['billing:read'],
          routes: {
            '/payouts': { requiredScopes: ['billing:payout'], requireDelegation: true },
            '/payouts/preview': { requiredScopes: ['billing:read'] },
          },
        })
        const read = await f.dev.mint({ scope: 'billing:read' })
        const payout = await f.dev.mint({ scope: 'billing:payout', delegation_edge_id: 'e1' })
        equal((await f.call(read, { path: '/invoices' })).status, 200, 'default route')
        equal((await f.call(read, { path: '/payouts' })).status, 403, '/payouts needs billing:payout')
        equal((await f.call(read, { path: '/payouts/42' })).status, 403, '/payouts/42 too')
        equal((await f.call(read, { path: '/payoutsX' })).status, 200, '/payoutsX is not under /payouts')
        equal((await f.call(payout, { path: '/payouts/42' })).status, 200, 'payout mandate')
        equal(
          (await f.call(await f.dev.mint({ scope: 'billing:payout' }), { path: '/payouts' })).status,
          403,
          'delegation required',
        )
        equal((await f.call(read, { path: '/payouts/preview/1' })).status, 200, 'longest prefix wins')
        equal((await f.call(read, { path: '/%70ayouts' })).status, 403, 'percent-encoded path gets the same route')
      },
    },
    {
      name: 'routes: a path that routers may decode differently must meet every route it could reach',
      async run() {
        const f = await fixture({
          requiredScopes: ['billing:read'],
          routes: { '/payouts': { requiredScopes: ['billing:payout'] }, '/a/b': { requiredScopes: ['billing:ab'] } },
        })
        const read = await f.dev.mint({ scope: 'billing:read' })
        // One escape that is not UTF-8 must not stop the others from being decoded (Hono, for one,
        // decodes escape by escape and routes these to /payouts).
        for (const path of ['/%70ayouts/x%ZZ', '/%70ayouts/%C0', '/%70ayouts/%C0%80/1']) {
          await expectRefusal(await f.call(read, { path }), 403, 'insufficient_scope', f)
        }
        // A bad sequence keeps its escapes: p%C3ayouts is not /payouts for us or for a router.
        equal((await f.call(read, { path: '/%70%C3ayouts/1' })).status, 200, 'p%C3ayouts')
        f.calls = 0
        // %2F: decodeURI keeps it, decodeURIComponent makes it a slash; both readings count.
        await expectRefusal(await f.call(read, { path: '/a%2Fb' }), 403, 'insufficient_scope', f)
        const both = await f.dev.mint({ scope: 'billing:read billing:ab' })
        equal((await f.call(both, { path: '/a%2Fb' })).status, 200, 'a mandate meeting both readings')
        // As sent, /%70ayouts/x%ZZ is under no route (the defaults); decoded, under /payouts.
        const payout = await f.dev.mint({ scope: 'billing:payout' })
        f.calls = 0
        await expectRefusal(await f.call(payout, { path: '/%70ayouts/x%ZZ' }), 403, 'insufficient_scope', f)
        const payoutAndRead = await f.dev.mint({ scope: 'billing:read billing:payout' })
        equal((await f.call(payoutAndRead, { path: '/%70ayouts/x%ZZ' })).status, 200, 'a mandate meeting both')
        equal((await f.call(payout, { path: '/payouts/x' })).status, 200, 'the plain spelling needs /payouts only')
      },
    },
    {
      name: 'exclude: excluded prefixes skip verification on segment boundaries only',
      async run() {
        const f = await fixture({ exclude: ['/healthz'] })
        let excludedCalls = 0
        const res = await f.call(undefined, { path: '/healthz' })
        excludedCalls++
        equal(res.status, 200, '/healthz')
        equal((await f.call(undefined, { path: '/healthz/deep?x=1' })).status, 200, '/healthz/deep')
        excludedCalls++
        equal((await f.call(undefined, { path: '/healthzX' })).status, 401, '/healthzX is protected')
        equal((await f.call(undefined, { path: '/%68ealthz' })).status, 401, 'an encoded spelling is verified')
        equal((await f.call(undefined, { path: '/%68ealthz/%ZZ' })).status, 401, 'and so is one with a bad escape')
        equal((await f.call(undefined, { path: '/healthz/%ZZ%61' })).status, 200, '/healthz/ with a bad escape')
        excludedCalls++
        equal(f.calls, excludedCalls, 'handler ran only for excluded paths')
      },
    },
    {
      name: 'a cached mandate still gets per-route requirements',
      async run() {
        const f = await fixture({ routes: { '/admin': { requiredScopes: ['admin'] } } })
        const token = await f.dev.mint({ scope: 'billing:read' })
        equal((await f.call(token)).status, 200, 'default route')
        await expectRefusal(await f.call(token, { path: '/admin' }), 403, 'insufficient_scope', {
          ...f,
          calls: f.calls - 1,
        })
      },
    },
  ]
}
