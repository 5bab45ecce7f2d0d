import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'

export const handler = withCaracal(() => new Response('ok'), {
  revocations: new MemoryRevocationStore(),
  onError: (e) => console.warn(`caracal ${e.status} ${e.code}: ${e.reason}`, e.cause ?? ''),
  // caracal 401 invalid_token: claim `aud` does not contain "resource://billing-api"
})
