import { MemoryRevocationStore, getMandate, withCaracal } from 'caracal-fetch'

// Your protected handler. Production reads CARACAL_STS_URL and CARACAL_ZONE_ID; a test passes
// the development issuer's values (and its in-process `fetch`) instead.
export function createApp(trust: { issuer?: string; zoneId?: string; fetch?: typeof fetch } = {}) {
  return withCaracal((request: Request) => Response.json({ invoicesFor: getMandate(request).sub }), {
    audience: 'resource://billing-api',
    requiredScopes: ['billing:read'],
    revocations: new MemoryRevocationStore(),
    ...trust,
  })
}
