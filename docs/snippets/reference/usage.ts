import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'

const app = (request: Request) => new Response(`hello from ${new URL(request.url).pathname}\n`)
const revocations = new MemoryRevocationStore()

const handler = withCaracal(app, {
  audience: 'resource://billing-api', // required (or CARACAL_AUDIENCE)
  revocations, // required: a store, or (env) => store
  issuer: 'https://sts.example.com', // default: CARACAL_STS_URL
  zoneId: 'zone-a', // default: CARACAL_ZONE_ID
  requiredScopes: ['billing:read'],
  routes: { '/payouts': { requiredScopes: ['billing:payout'], requireDelegation: true } },
  exclude: ['/healthz'],
  onError: (error, request) => console.warn(error.code, error.reason, error.cause, request.url),
})
await handler.warmup() // optional: fetch the zone JWKS now instead of on the first request
