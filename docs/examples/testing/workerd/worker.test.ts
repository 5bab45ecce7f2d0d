import { connectDevSts } from 'caracal-fetch/testing'
import { exports } from 'cloudflare:workers'
import { expect, inject, test } from 'vitest'

// Inside workerd: mint through the dev STS over loopback HTTP, then call the Worker.
const sts = connectDevSts(inject('caracalStsUrl'))

test('a mandate with billing:read gets the invoices', async () => {
  const request = await sts.request('https://billing.example/invoices', { scope: 'billing:read', sub: 'alice' })
  const response = await exports.default.fetch(request)
  expect(response.status).toBe(200)
  expect(await response.json()).toEqual({ invoicesFor: 'alice' })
})

test('a mandate without the scope is refused with 403', async () => {
  const response = await exports.default.fetch(await sts.request('https://billing.example/invoices'))
  expect(response.status).toBe(403)
})
