/**
 * edge-examples/cloudflare-worker under `wrangler dev` (real workerd, a local KV namespace, the
 * compatibility date of wrangler.toml), started with `npm run example:cloudflare-worker` through
 * the shared smoke harness. Revocations are written with `wrangler kv key put --local` into the
 * local state the running Worker reads (.wrangler/state, wrangler's default for both), under
 * Caracal's key names, as an operator would.
 *
 * One Worker start serves every case, and the first requests it gets are concurrent: a cold start
 * with the production cross-request rules (the workerd test step runs under the test runner's).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startExample, startSmokeInfra, type RunningExample, type SmokeInfra } from './harness.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const COLD = 25

/** Revokes `sid` in the example's local KV namespace with wrangler, offline. */
async function revokeInLocalKv(sid: string): Promise<void> {
  const args = [
    'wrangler',
    'kv',
    'key',
    'put',
    '--local',
    '--binding',
    'REVOCATIONS',
    `caracal:revoked:sessions:${sid}`,
    '1',
  ]
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }
  await promisify(execFile)('npx', args, { cwd: root, env, timeout: 60_000 })
}

describe('edge-examples/cloudflare-worker (npm run example:cloudflare-worker)', () => {
  let infra: SmokeInfra
  let example: RunningExample
  const get = (path: string, token?: string): Promise<Response> =>
    fetch(`${example.origin}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })

  beforeAll(async () => {
    infra = await startSmokeInfra()
    example = await startExample('cloudflare-worker', infra.env, { readyTimeoutMs: 120_000 })
  }, 150_000)
  afterAll(async () => {
    await example?.stop()
    await infra?.close()
  }, 30_000)

  test(`cold start: ${COLD} concurrent first mandates are all verified (200), none trips cross-request I/O`, async () => {
    const tokens = await Promise.all(Array.from({ length: COLD }, (_, i) => infra.dev.mint({ sub: `cold-${i}` })))
    const responses = await Promise.all(tokens.map((t) => get('/', t)))
    const bodies = await Promise.all(responses.map((r) => r.text()))
    expect(
      responses.map((r) => r.status),
      example.output(),
    ).toEqual(Array(COLD).fill(200))
    expect(bodies.map((b) => (JSON.parse(b) as { sub: string }).sub)).toEqual(tokens.map((_, i) => `cold-${i}`))
    expect(example.output()).not.toMatch(/Cannot perform I\/O on behalf of a different request/)
  })

  test('a valid mandate gets 200 and the handler sees it', async () => {
    const res = await get('/', await infra.dev.mint({ sub: 'user-worker', scope: 'billing:read' }))
    const body = await res.text()
    expect(res.status, body).toBe(200)
    expect(JSON.parse(body)).toMatchObject({ sub: 'user-worker', scopes: ['billing:read'] })
  })

  test('a missing mandate gets 401 missing_token; /healthz stays open', async () => {
    const res = await get('/')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(await res.json()).toMatchObject({ error: 'missing_token' })
    expect((await get('/healthz')).status).toBe(200)
  })

  test('a mandate revoked in the local KV namespace gets 401 session_revoked', async () => {
    const sid = `sid-smoke-${crypto.randomUUID()}`
    const token = await infra.dev.mint({ sid })
    expect((await get('/', token)).status).toBe(200)
    await revokeInLocalKv(sid)
    const res = await get('/', token)
    expect(res.status, example.output()).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'session_revoked' })
  })

  test('the vars reach the Worker: a mandate for another audience gets 401 invalid_token', async () => {
    const res = await get('/', await infra.dev.mint({ aud: ['resource://somebody-else'] }))
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'invalid_token' })
  })
})
