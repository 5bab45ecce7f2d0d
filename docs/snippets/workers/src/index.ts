import { getMandate, withCaracal } from 'caracal-fetch'
import { KvRevocationStore, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'

interface Env {
  REVOCATIONS: KvNamespaceLike // the KV binding of wrangler.toml
}

export default {
  fetch: withCaracal(
    (request: Request) => {
      // Excluded below, so it runs without a mandate: do not call getMandate() here.
      if (new URL(request.url).pathname === '/healthz') return new Response('ok')
      return Response.json({ sub: getMandate(request).sub })
    },
    {
      // Issuer, zone and audience come from the vars (CARACAL_STS_URL, CARACAL_ZONE_ID, CARACAL_AUDIENCE).
      revocations: (env: Env) => new KvRevocationStore(env.REVOCATIONS),
      exclude: ['/healthz'],
    },
  ),
}
