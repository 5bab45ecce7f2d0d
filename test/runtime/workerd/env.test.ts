/**
 * Per-request configuration on Workers: issuer, zone and audience come from the `env` each request
 * brings (the Worker's vars), not from construction. A missing or unusable var is a 500
 * server_misconfigured with a message that names it, for that request only, and never a pass.
 */
import { type CaracalError, withCaracal } from 'caracal-fetch'
import { KvRevocationStore } from 'caracal-fetch/cloudflare-kv'
import { expect, test } from 'vitest'
import type { Env } from './worker.js'
import { errorOf, mint, testEnv } from './helpers.js'

test('this suite runs inside workerd', () => {
  expect(navigator.userAgent).toBe('Cloudflare-Workers')
  expect(typeof (globalThis as { Deno?: unknown }).Deno).toBe('undefined')
})

function setup(): {
  handler: (request: Request, env: Env) => Promise<Response>
  errors: CaracalError[]
  ran: () => number
} {
  const errors: CaracalError[] = []
  let ran = 0
  // Built with no issuer, zone or audience: on Workers that is not a construction error.
  const handler = withCaracal(
    () => {
      ran++
      return new Response('handler ran')
    },
    { revocations: (env: Env) => new KvRevocationStore(env.REVOCATIONS), onError: (e) => errors.push(e) },
  )
  return { handler, errors, ran: () => ran }
}

const request = (token: string): Request =>
  new Request('https://api.test/x', { headers: { authorization: `Bearer ${token}` } })

const without = (name: keyof Env, value?: string): Env => {
  const env: Env = { ...testEnv }
  if (value === undefined) delete env[name]
  else (env as unknown as Record<string, string>)[name] = value
  return env
}

const cases: [string, keyof Env, string | undefined, RegExp][] = [
  ['a missing CARACAL_STS_URL', 'CARACAL_STS_URL', undefined, /no issuer; .*CARACAL_STS_URL in the Worker's vars/],
  ['an empty CARACAL_STS_URL', 'CARACAL_STS_URL', '', /no issuer; .*CARACAL_STS_URL/],
  [
    'a plain-http, non-loopback CARACAL_STS_URL',
    'CARACAL_STS_URL',
    'http://sts.example',
    /CARACAL_STS_URL must use https:/,
  ],
  ['a missing CARACAL_ZONE_ID', 'CARACAL_ZONE_ID', undefined, /no zoneId; .*CARACAL_ZONE_ID/],
  ['a missing CARACAL_AUDIENCE', 'CARACAL_AUDIENCE', undefined, /no audience; .*CARACAL_AUDIENCE/],
]

for (const [what, name, value, reason] of cases) {
  test(`${what} is 500 server_misconfigured naming the variable; the same handler passes once the env has it`, async () => {
    const { handler, errors, ran } = setup()
    const token = await mint()
    expect(testEnv[name]).toBeTruthy()

    const res = await handler(request(token), without(name, value))
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await errorOf(res)).toBe('server_misconfigured')
    expect(ran()).toBe(0)
    expect(errors.map((e) => e.code)).toEqual(['server_misconfigured'])
    expect(errors[0]!.reason).toMatch(reason)

    // Resolved per request: the complete env passes, and a broken one fails again after it.
    expect((await handler(request(token), testEnv)).status).toBe(200)
    expect((await handler(request(token), without(name, value))).status).toBe(500)
    expect(ran()).toBe(1)
  })
}

test('with the vars present, a mandate for another zone or audience is refused like anywhere else', async () => {
  const { handler } = setup()
  expect(await errorOf(await handler(request(await mint({ zone_id: 'zone-other' })), testEnv))).toBe('invalid_zone')
  const otherAudience = { ...testEnv, CARACAL_AUDIENCE: 'resource://another-api' }
  expect(await errorOf(await handler(request(await mint()), otherAudience))).toBe('invalid_token')
})
