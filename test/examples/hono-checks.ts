/** Smoke checks of the Hono example's own routes, shared by its Node and Workers runs. */
import { expect } from 'vitest'
import type { SmokeCheck } from './harness.js'

export const honoChecks: readonly SmokeCheck[] = [
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
]
