import { serve } from '@hono/node-server'
import { createApp } from './app.ts'

// Issuer and zone come from CARACAL_STS_URL and CARACAL_ZONE_ID.
serve({ fetch: createApp(), hostname: '127.0.0.1', port: Number(process.env['PORT'] ?? 3000) }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`)
})
