import { getMandate, MemoryRevocationStore, withCaracal } from 'caracal-fetch'

const handler = withCaracal(
  (request: Request) => {
    // Excluded below, so it runs without a mandate: do not call getMandate() here.
    if (new URL(request.url).pathname === '/healthz') return new Response('ok')
    return Response.json({ sub: getMandate(request).sub })
  },
  {
    revocations: new MemoryRevocationStore(), // this process only; see docs/stores.md for shared ones
    exclude: ['/healthz'],
  },
)

Deno.serve({ port: Number(Deno.env.get('PORT') ?? 3000) }, handler)
