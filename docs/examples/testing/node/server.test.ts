import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createDevIssuer } from 'caracal-fetch/testing'
import { afterAll, expect, test } from 'vitest'

// The development STS on a free loopback port: JWKS at its issuer URL, POST /mint beside it.
const sts = await (await createDevIssuer({ audience: 'resource://billing-api' })).listen()

// The server under test in its own process, configured the way production configures it.
const server = spawn(process.execPath, [new URL('server.ts', import.meta.url).pathname], {
  env: { ...process.env, PORT: '0', CARACAL_STS_URL: sts.issuer, CARACAL_ZONE_ID: sts.zoneId },
  stdio: ['ignore', 'pipe', 'inherit'],
})
const [line] = await once(server.stdout!, 'data')
const origin = /http:\/\/\S+/.exec(String(line))![0]

afterAll(async () => {
  server.kill()
  await sts.close()
})

test('the server fetches the JWKS from the dev STS and accepts its mandate', async () => {
  const response = await fetch(await sts.request(`${origin}/invoices`, { scope: 'billing:read', sub: 'bob' }))
  expect(response.status).toBe(200)
  expect(await response.json()).toEqual({ invoicesFor: 'bob' })
})
