/**
 * A Cloudflare Worker protected by caracal-fetch, with revocations shared through Workers KV.
 *
 * Issuer, zone and audience come from the Worker's vars (CARACAL_STS_URL, CARACAL_ZONE_ID,
 * CARACAL_AUDIENCE), read per request; revocations from the REVOCATIONS KV binding, in the key
 * layout Caracal's own revocation consumer writes. `/healthz` is served without a mandate.
 */
import { getMandate, withCaracal } from 'caracal-fetch'
import { KvRevocationStore, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'

interface Env {
  /** The KV namespace bound in wrangler.toml (`KVNamespace` in @cloudflare/workers-types). */
  REVOCATIONS: KvNamespaceLike
  CARACAL_STS_URL: string
  CARACAL_ZONE_ID: string
  CARACAL_AUDIENCE: string
}

function handler(request: Request): Response {
  const { pathname } = new URL(request.url)
  if (pathname === '/healthz') return new Response('ok\n')
  const mandate = getMandate(request)
  return Response.json({
    message: 'hello from a Caracal-protected Worker',
    sub: mandate.sub,
    clientId: mandate.clientId,
    scopes: mandate.scopes,
    agentSessionId: mandate.agentSessionId ?? null,
  })
}

export default {
  fetch: withCaracal(handler, {
    revocations: (env: Env) => new KvRevocationStore(env.REVOCATIONS),
    exclude: ['/healthz'],
    onError: (error) => console.log(`refused ${error.code}: ${error.reason}`),
  }),
}
