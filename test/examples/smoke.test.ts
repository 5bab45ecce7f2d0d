import { expect } from 'vitest'
import { smokeSuite, type SmokeSpec } from './harness.js'

const specs: SmokeSpec[] = [
  { name: 'node' },
  {
    name: 'hono',
    checks: [
      {
        name: 'requireScopes on /invoices: 403 insufficient_scope without billing:read, 200 with it',
        async run(get, infra) {
          const without = await get('/invoices', await infra.dev.mint({ scope: 'other' }))
          expect(without.status).toBe(403)
          expect(without.headers.get('www-authenticate')).toContain('scope="billing:read"')
          const granted = await get('/invoices', await infra.dev.mint({ sub: 'u-inv', scope: 'billing:read' }))
          expect(await granted.json()).toEqual({ invoices: [], for: 'u-inv' })
        },
      },
    ],
  },
  { name: 'bun' },
  { name: 'deno' },
]

// SMOKE_ONLY=bun,deno limits the run to some examples.
const only = process.env['SMOKE_ONLY']?.split(',')
for (const spec of specs) if (only === undefined || only.includes(spec.name)) smokeSuite(spec)
