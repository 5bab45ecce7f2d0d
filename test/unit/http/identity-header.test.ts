/** `identityHeader`: the raw mandate in the Gateway's header wins over Authorization; without it, Authorization as usual. */
import { expect, test } from 'vitest'
import { findMandate, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'

async function setup(extra: Partial<CaracalOptions>) {
  const { dev, options } = await devZone()
  const handler = withCaracal((request: Request) => new Response(findMandate(request)?.sub ?? 'none'), {
    ...options,
    ...extra,
  })
  return { dev, handler }
}

const call = (headers: Record<string, string>) => new Request('https://api.example/x', { headers })

test('set and present: the header is the mandate, Authorization (a provider credential) is not read', async () => {
  const { dev, handler } = await setup({ identityHeader: 'x-caracal-identity' })
  const token = await dev.mint({ sub: 'via-gateway' })
  const response = await handler(call({ 'x-caracal-identity': token, authorization: 'Bearer sk-provider-key' }))
  expect(response.status).toBe(200)
  expect(await response.text()).toBe('via-gateway')
  // Twice: the second time from the verified-mandate cache.
  expect(await (await handler(call({ 'x-caracal-identity': ` ${token} ` }))).text()).toBe('via-gateway')
})

test('set and present but bad: refused, and Authorization is not tried instead', async () => {
  const { dev, handler } = await setup({ identityHeader: 'x-caracal-identity' })
  const good = await dev.mint()
  const bad = await handler(call({ 'x-caracal-identity': 'not-a-mandate', authorization: `Bearer ${good}` }))
  expect(bad.status).toBe(401)
  expect(await bad.json()).toMatchObject({ error: 'invalid_token' })
  const empty = await handler(call({ 'x-caracal-identity': '  ', authorization: `Bearer ${good}` }))
  expect(empty.status).toBe(401)
  expect(await empty.json()).toMatchObject({ error: 'missing_token' })
  const scheme = await handler(call({ 'x-caracal-identity': `Bearer ${good}` }))
  expect(scheme.status).toBe(401)
})

test('set and absent: Authorization Bearer as without the option', async () => {
  const { dev, handler } = await setup({ identityHeader: 'x-caracal-identity' })
  const token = await dev.mint({ sub: 'direct' })
  expect(await (await handler(call({ authorization: `Bearer ${token}` }))).text()).toBe('direct')
  expect((await handler(call({}))).status).toBe(401)
})

test('off by default: the identity header is ignored', async () => {
  const { dev, handler } = await setup({})
  const token = await dev.mint()
  const response = await handler(call({ 'x-caracal-identity': token }))
  expect(response.status).toBe(401)
  expect(await response.json()).toMatchObject({ error: 'missing_token' })
})

test('the option must be a lower-case header name other than authorization', async () => {
  await expect(setup({ identityHeader: 'X-Caracal-Identity' })).rejects.toThrow(
    /withCaracal: `identityHeader` must be a lower-case header name, e.g. 'x-caracal-identity'/,
  )
  await expect(setup({ identityHeader: 'x caracal' })).rejects.toThrow(/lower-case header name/)
  await expect(setup({ identityHeader: 42 as never })).rejects.toThrow(/lower-case header name/)
  await expect(setup({ identityHeader: 'authorization' })).rejects.toThrow(/must not be 'authorization'/)
})
