/**
 * What the challenges name: the scopes the route requires on a 401 without a token, and every scope
 * the request needs on a 403 insufficient_scope (all spellings of its path), not only the missing ones.
 */
import { expect, test } from 'vitest'
import { withCaracal, type CaracalOptions } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'

async function setup(extra: Partial<CaracalOptions>) {
  const { dev, options } = await devZone()
  const handler = withCaracal(() => new Response('ok'), {
    ...options,
    ...extra,
  })
  return { dev, handler }
}

test("401 without a token names the route's scopes; a route with none, no scope parameter", async () => {
  const { handler } = await setup({
    requiredScopes: ['api:read'],
    routes: { '/admin': { requiredScopes: ['api:read', 'api:admin'] }, '/open': { requiredScopes: [] } },
  })
  const challenge = async (path: string) =>
    (await handler(new Request(`https://api.example${path}`))).headers.get('www-authenticate')
  expect(await challenge('/x')).toBe('Bearer scope="api:read"')
  expect(await challenge('/admin/users')).toBe('Bearer scope="api:read api:admin"')
  expect(await challenge('/open')).toBe('Bearer')
  // A malformed Authorization header is no token either.
  const basic = await handler(new Request('https://api.example/admin', { headers: { authorization: 'Basic eA==' } }))
  expect(basic.headers.get('www-authenticate')).toBe('Bearer scope="api:read api:admin"')
  // A bad token is not missing: the challenge is its error, with no scope.
  const bad = await handler(new Request('https://api.example/admin', { headers: { authorization: 'Bearer x.y.z' } }))
  expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/)
})

test('403 insufficient_scope names all the scopes the route requires, the description only the missing ones', async () => {
  const { dev, handler } = await setup({ requiredScopes: ['a', 'b', 'c'] })
  const token = await dev.mint({ scope: 'a c' })
  const response = await handler(
    new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } }),
  )
  expect(response.status).toBe(403)
  expect(response.headers.get('www-authenticate')).toBe(
    'Bearer error="insufficient_scope", error_description="Missing scope: b", scope="a b c"',
  )
})

test('a path whose spellings fall under two routes: the 403 names the scopes of both', async () => {
  const { dev, handler } = await setup({
    requiredScopes: ['base'],
    routes: { '/admin': { requiredScopes: ['admin'] } },
  })
  const token = await dev.mint({ scope: 'base' })
  // As sent, `/%61dmin` is under the defaults; decoded it is `/admin`: both must be met.
  const response = await handler(
    new Request('https://api.example/%61dmin/x', { headers: { authorization: `Bearer ${token}` } }),
  )
  expect(response.status).toBe(403)
  expect(response.headers.get('www-authenticate')).toBe(
    'Bearer error="insufficient_scope", error_description="Missing scope: admin", scope="base admin"',
  )
  const missing = await handler(new Request('https://api.example/%61dmin/x'))
  expect(missing.headers.get('www-authenticate')).toBe('Bearer scope="base admin"')
})
