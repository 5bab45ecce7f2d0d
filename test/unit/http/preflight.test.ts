/** `allowPreflight`: a CORS preflight without credentials goes through unverified; every other OPTIONS is verified. */
import { expect, test } from 'vitest'
import { findMandate, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'

async function setup(extra: Partial<CaracalOptions>) {
  const { dev, options } = await devZone()
  const seen: (string | undefined)[] = []
  const handler = withCaracal(
    (request: Request) => {
      seen.push(findMandate(request)?.sub ?? 'unverified')
      return new Response(null, { status: 204, headers: { 'access-control-allow-origin': 'https://app.example' } })
    },
    {
      ...options,
      ...extra,
    },
  )
  return { dev, handler, seen }
}

const preflight = (headers: Record<string, string> = {}) =>
  new Request('https://api.example/mcp', {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', ...headers },
  })

test('on: a preflight reaches the handler unverified', async () => {
  const { handler, seen } = await setup({ allowPreflight: true })
  const response = await handler(preflight())
  expect(response.status).toBe(204)
  expect(seen).toEqual(['unverified'])
})

test('on: an OPTIONS without Origin or without Access-Control-Request-Method, or with credentials, is verified', async () => {
  const { dev, handler, seen } = await setup({ allowPreflight: true, identityHeader: 'x-caracal-identity' })
  const noOrigin = new Request('https://api.example/mcp', {
    method: 'OPTIONS',
    headers: { 'access-control-request-method': 'POST' },
  })
  expect((await handler(noOrigin)).status).toBe(401)
  const noMethod = new Request('https://api.example/mcp', {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example' },
  })
  expect((await handler(noMethod)).status).toBe(401)
  expect((await handler(preflight({ authorization: 'Bearer x.y.z' }))).status).toBe(401)
  expect((await handler(preflight({ 'x-caracal-identity': 'x.y.z' }))).status).toBe(401)
  expect(seen).toEqual([])
  // With a valid mandate, an OPTIONS carrying credentials is verified and let through as such.
  const token = await dev.mint({ sub: 'agent-1' })
  expect((await handler(preflight({ authorization: `Bearer ${token}` }))).status).toBe(204)
  expect(seen).toEqual(['agent-1'])
})

test('off by default: a preflight is verified like any request', async () => {
  const { handler, seen } = await setup({})
  expect((await handler(preflight())).status).toBe(401)
  expect(seen).toEqual([])
})

test('allowPreflight must be a boolean', async () => {
  await expect(setup({ allowPreflight: 'yes' as never })).rejects.toThrow(/`allowPreflight` must be true or false/)
})
