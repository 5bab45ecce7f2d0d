// Deno.serve with a withCaracal-wrapped handler.
// Env: CARACAL_STS_URL, CARACAL_ZONE_ID, CARACAL_AUDIENCE (read by withCaracal), PORT, and
// optionally UPSTASH_REDIS_REST_URL + UPSTASH_REDIS_REST_TOKEN for revocations shared by every instance.
import { MemoryRevocationStore, getMandate, withCaracal } from 'caracal-fetch'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'

const revocations = Deno.env.get('UPSTASH_REDIS_REST_URL')
  ? UpstashRevocationStore.fromEnv()
  : new MemoryRevocationStore() // this process only: fine for one instance, not for a fleet

const handler = withCaracal(
  (request: Request) => {
    if (new URL(request.url).pathname === '/healthz') return new Response('ok')
    const mandate = getMandate(request)
    return Response.json({ sub: mandate.sub, clientId: mandate.clientId, scopes: mandate.scopes })
  },
  {
    revocations,
    exclude: ['/healthz'],
    // The client gets the generic error; the operator's log gets the reason.
    onError: (error) => console.warn(`caracal: ${error.code}: ${error.reason}`),
  },
)

Deno.serve({ port: Number(Deno.env.get('PORT') ?? 8000) }, handler)
