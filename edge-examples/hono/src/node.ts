// The Hono app on Node 22 through @hono/node-server. Node 22.18+ runs this .ts file directly.
// Env: CARACAL_STS_URL, CARACAL_ZONE_ID, CARACAL_AUDIENCE, PORT, and optionally
// UPSTASH_REDIS_REST_URL + UPSTASH_REDIS_REST_TOKEN for revocations shared by every instance.
import { serve } from '@hono/node-server'
import { MemoryRevocationStore } from 'caracal-fetch'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'
import { createApp } from './app.ts'

const revocations = process.env['UPSTASH_REDIS_REST_URL']
  ? UpstashRevocationStore.fromEnv()
  : new MemoryRevocationStore() // this process only: fine for one instance, not for a fleet

serve({ fetch: createApp(revocations).fetch, port: Number(process.env['PORT'] ?? 3000) }, (info) => {
  console.log(`hono example listening on http://localhost:${info.port}`)
})
