/**
 * The testing kit's server, in the runtime that runs it: `dev.listen()` picks Deno.serve, Bun.serve
 * or node:http, and a protected handler in the same runtime, given no `fetch` option, gets the
 * JWKS from it over loopback HTTP. Portable: the Bun and Deno runners and a Node vitest file share it.
 */
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'
import { equal, match, rejects, type ContractCase } from '../contract/assert.js'

const AUDIENCE = 'resource://kit'

export function testingKitCases(runtime: string): ContractCase[] {
  return [
    {
      name: `${runtime}: dev.listen serves the JWKS and POST /mint; dev.request and a minted mandate verify over HTTP`,
      async run() {
        const sts = await (await createDevIssuer({ zoneId: 'zone-kit', audience: AUDIENCE })).listen()
        try {
          match(sts.issuer, /^http:\/\/127\.0\.0\.1:\d+$/, 'served issuer')
          const handler = withCaracal(() => new Response('ok'), {
            issuer: sts.issuer,
            zoneId: sts.zoneId,
            audience: AUDIENCE,
            revocations: new MemoryRevocationStore(),
            requiredScopes: ['kit:read'],
          })
          const viaRequest = await handler(await sts.request('http://localhost/a', { scope: ['kit:read'] }))
          equal(viaRequest.status, 200, 'dev.request status')
          equal(sts.jwksRequests, 1, 'JWKS fetched over HTTP once')

          const minted = await fetch(sts.mintUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ scope: 'kit:read' }),
          })
          equal(minted.status, 200, 'POST /mint status')
          const { access_token: token } = (await minted.json()) as { access_token: string }
          const viaMint = await handler(
            new Request('http://localhost/b', { headers: { authorization: `Bearer ${token}` } }),
          )
          equal(viaMint.status, 200, 'minted mandate status')

          const refused = await handler(await sts.request('http://localhost/c', { scope: 'kit:write' }))
          equal(refused.status, 403, 'a mandate without the scope')
          const badMint = await fetch(sts.mintUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"scopes":"kit:read"}',
          })
          equal(badMint.status, 400, 'a misspelt claim at /mint')
          equal((await fetch(`${sts.issuer}/.well-known/jwks.json?zone_id=other`)).status, 400, 'JWKS of another zone')
        } finally {
          await sts.close()
        }
      },
    },
    {
      name: `${runtime}: dev.listen refuses a non-loopback hostname; close() frees the port`,
      async run() {
        const dev = await createDevIssuer()
        await rejects(() => dev.listen({ hostname: '0.0.0.0' }), /is not a loopback address/, 'hostname 0.0.0.0')
        const sts = await dev.listen()
        await sts.close()
        await rejects(() => fetch(sts.jwksUrl), /./, 'fetch after close')
        const again = await dev.listen({ port: Number(new URL(sts.issuer).port) })
        await again.close()
      },
    },
  ]
}
