import { createDevIssuer } from 'caracal-fetch/testing'
import { expect, test } from 'vitest'
import { createApp } from './app.ts'

const dev = await createDevIssuer({ audience: 'resource://billing-api' })
const app = createApp({ issuer: dev.issuer, zoneId: dev.zoneId, fetch: dev.fetch })

test('a mandate with billing:read gets the invoices', async () => {
  const response = await app(await dev.request('http://localhost/invoices', { scope: 'billing:read', sub: 'alice' }))
  expect(response.status).toBe(200)
  expect(await response.json()).toEqual({ invoicesFor: 'alice' })
})

test('a mandate without the scope is refused with 403', async () => {
  const response = await app(await dev.request('http://localhost/invoices', { scope: 'billing:write' }))
  expect(response.status).toBe(403)
  expect((await response.json()).error).toBe('insufficient_scope')
})

test('no mandate is refused with 401', async () => {
  const response = await app(new Request('http://localhost/invoices'))
  expect(response.status).toBe(401)
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
})
