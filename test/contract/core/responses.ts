/**
 * What a refusal or a failure looks like to the client and to `onError`: every method, HEAD without
 * a body, a handler with no Response, the generic text. One topic of the core contract (composed in
 * ./index.ts), run unchanged in every runtime.
 */
import { withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'
import { DEV_ZONE } from '../../support/fixture.js'
import { equal, match, type ContractCase } from '../assert.js'
import { ORIGIN, devOptions, fixture } from './setup.js'

export function responsesCases(): ContractCase[] {
  return [
    {
      name: 'every method is verified, HEAD included (no body, same headers)',
      async run() {
        const f = await fixture()
        for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
          const res = await f.call(undefined, { method })
          equal(res.status, 401, `${method} status`)
          equal(res.headers.get('www-authenticate'), 'Bearer', `${method} challenge`)
        }
        const head = await f.call(await f.dev.mint({ iss: 'https://other.example' }), { method: 'HEAD' })
        equal(head.status, 401, 'HEAD with a bad token')
        equal(await head.text(), '', 'HEAD body')
        equal(f.calls, 0, 'handler calls')
      },
    },
    {
      name: 'a verified request whose handler returns no Response gets a 500, not the runtime default',
      async run() {
        const dev = await createDevIssuer(DEV_ZONE)
        const reasons: string[] = []
        const h = withCaracal((() => undefined) as unknown as () => Response, {
          ...devOptions(dev),
          onError: (e) => reasons.push(e.reason),
        })
        const res = await h(new Request(ORIGIN, { headers: { authorization: `Bearer ${await dev.mint()}` } }))
        equal(res.status, 500, 'status')
        const body = (await res.json()) as { error: string; error_description: string }
        equal(body.error, 'server_misconfigured', 'code')
        equal(body.error_description, 'Mandate verification is not configured', 'generic description')
        match(reasons[0] ?? null, /returned undefined instead of a Response/, 'reason')
      },
    },
    {
      name: 'onError receives the detailed reason; the client sees only the generic text',
      async run() {
        const seen: { code: string; reason: string }[] = []
        const f = await fixture({ onError: (e) => seen.push({ code: e.code, reason: e.reason }) })
        const res = await f.call(await f.dev.mint({ aud: ['resource://other'] }))
        const body = (await res.json()) as { error_description: string }
        equal(body.error_description, 'Token validation failed', 'generic description')
        equal(seen.length, 1, 'one report')
        equal(seen[0]?.code, 'invalid_token', 'code')
        match(seen[0]?.reason ?? null, /aud/, 'reason names the claim')
      },
    },
  ]
}
