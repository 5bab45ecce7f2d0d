import { getMandate, withCaracal } from 'caracal-fetch'
import { KvRevocationStore, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'

interface Env {
  REVOCATIONS: KvNamespaceLike
}

// Issuer, zone and audience come from the Worker's vars: CARACAL_STS_URL, CARACAL_ZONE_ID, CARACAL_AUDIENCE.
export default {
  fetch: withCaracal((request: Request) => Response.json({ invoicesFor: getMandate(request).sub }), {
    requiredScopes: ['billing:read'],
    revocations: (env: Env) => new KvRevocationStore(env.REVOCATIONS),
  }),
}
