import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { MemoryRevocationStore } from 'caracal-fetch'
import { caracal, requireScopes } from 'caracal-fetch/hono'

const revocations = new MemoryRevocationStore() // this process only; see docs/stores.md for shared ones

const app = new Hono() // importing caracal-fetch/hono types c.var.caracal
app.use(caracal({ revocations, exclude: ['/healthz'] }))
app.get('/healthz', (c) => c.text('ok')) // excluded: no mandate here, so no c.var.caracal
app.get('/', (c) => c.json({ sub: c.var.caracal.sub })) // typed, no cast
app.get('/invoices', requireScopes('billing:read'), (c) => c.json([]))

const port = Number(process.env.PORT ?? 3000)
serve({ fetch: app.fetch, port }, () => console.log(`listening on http://localhost:${port}`))
