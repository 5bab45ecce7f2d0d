// The Hono app, shared by the Node server (node.ts) and the Worker (worker.ts).
import { Hono } from 'hono'
import type { CaracalOptions } from 'caracal-fetch'
import { caracal, requireScopes, type CaracalVariables } from 'caracal-fetch/hono'

export function createApp(revocations: CaracalOptions['revocations']) {
  const app = new Hono<{ Variables: CaracalVariables }>()

  // Issuer, zone and audience come from CARACAL_STS_URL, CARACAL_ZONE_ID and CARACAL_AUDIENCE:
  // process.env on Node, the Worker's vars on Workers.
  app.use(
    caracal({
      revocations,
      exclude: ['/healthz'],
      // The client gets the generic error; the operator's log gets the reason.
      onError: (error) => console.warn(`caracal: ${error.code}: ${error.reason}`),
    }),
  )

  app.get('/healthz', (c) => c.text('ok'))
  // c.var.caracal is the verified mandate, typed: no cast.
  app.get('/', (c) =>
    c.json({ sub: c.var.caracal.sub, clientId: c.var.caracal.clientId, scopes: c.var.caracal.scopes }),
  )
  app.get('/invoices', requireScopes('billing:read'), (c) => c.json({ invoices: [], for: c.var.caracal.sub }))

  return app
}
