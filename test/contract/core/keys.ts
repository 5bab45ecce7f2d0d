/**
 * Where the keys come from: the JWKS fetched through `fetch`, a static `jwks`, an unreachable key
 * source, and key rotation. One topic of the core contract (composed in ./index.ts), run unchanged
 * in every runtime.
 */
import { createDevIssuer } from 'caracal-fetch/testing'
import { DEV_ZONE } from '../../support/fixture.js'
import { equal, type ContractCase } from '../assert.js'
import { expectRefusal, fixture } from './setup.js'

export function keysCases(): ContractCase[] {
  return [
    {
      name: 'JWKS unreachable with nothing cached gives 503 with Retry-After, not 401',
      async run() {
        const f = await fixture({ fetch: async () => new Response('oops', { status: 502 }) })
        await expectRefusal(await f.call(await f.dev.mint()), 503, 'temporarily_unavailable', f)
        const g = await fixture({ fetch: async () => Promise.reject(new TypeError('network down')) })
        await expectRefusal(await g.call(await g.dev.mint()), 503, 'temporarily_unavailable', g)
        const h = await fixture({ fetch: async () => new Response('{"keys": "nope"}') })
        await expectRefusal(await h.call(await h.dev.mint()), 503, 'temporarily_unavailable', h)
      },
    },
    {
      name: 'a static jwks option verifies with no fetch at all',
      async run() {
        const dev = await createDevIssuer(DEV_ZONE)
        const f = await fixture({
          jwks: dev.jwks,
          fetch: async () => {
            throw new Error('must not fetch')
          },
        })
        equal((await f.call(await dev.mint())).status, 200, 'status')
      },
    },
    {
      name: 'a rotated key is picked up by one refetch; a flood of random kids refetches at most once per cooldown',
      async run() {
        const f = await fixture()
        equal((await f.call(await f.dev.mint())).status, 200, 'first key')
        const before = f.dev.jwksRequests
        await f.dev.rotate()
        equal((await f.call(await f.dev.mint())).status, 200, 'rotated key accepted')
        equal(f.dev.jwksRequests, before + 1, 'one refetch for the new kid')
        for (let i = 0; i < 50; i++) {
          const res = await f.call(await f.dev.mint({}, { kid: `random-${i}` }))
          equal(res.status, 401, 'random kid')
        }
        equal(f.dev.jwksRequests, before + 1, 'no refetch within the cooldown')
      },
    },
  ]
}
