/**
 * `caracal-fetch/testing`: a development issuer for your own tests, demos and local development.
 * It mints Caracal-shaped mandates with its own keys, builds authorised Requests, and serves its
 * JWKS in process or over loopback HTTP. It is not an STS, enforces no policy, and refuses
 * non-loopback addresses unless told otherwise.
 *
 * @example
 * ```ts
 * import { createDevIssuer } from 'caracal-fetch/testing'
 * const dev = await createDevIssuer({ audience: 'resource://billing-api' })
 * const handler = withCaracal(app, { issuer: dev.issuer, zoneId: dev.zoneId, fetch: dev.fetch, audience, revocations })
 * const response = await handler(await dev.request('http://localhost/invoices', { scope: 'billing:read' }))
 * ```
 */
export { createDevIssuer } from './testing/dev-issuer.js'
export type {
  DevIssuer,
  DevIssuerBase,
  DevIssuerOptions,
  DevListenOptions,
  DevRequestOptions,
  DevSts,
  MintOptions,
} from './testing/dev-issuer.js'
export type { MandateClaims } from './testing/claims.js'
export { connectDevSts } from './testing/dev-sts-client.js'
export type { DevStsClient, DevStsClientOptions } from './testing/dev-sts-client.js'
