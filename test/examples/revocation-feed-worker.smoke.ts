/**
 * edge-examples/revocation-feed-worker under `wrangler dev --local --test-scheduled` (real workerd, a
 * local KV namespace), started with `npm run example:revocation-feed-worker`, end to end in both of
 * its deployment shapes:
 *
 * - push: `pushSink` in this process POSTs signed batches over loopback HTTP to the Worker's
 *   `revocationReceiver` route, which writes KV; the Worker's `withCaracal` API reading that KV then
 *   refuses the revoked mandate;
 * - the CLI: `caracal-fetch feed --push <receiver> --once`, reading the streams over TCP from the
 *   real redis-server, pushes to the same route;
 * - cron: messages are XADDed, signed as Caracal's producers sign them, into a real redis-server that
 *   the Worker reads through the Upstash REST shim; `/__scheduled` runs the Worker's `scheduled()`
 *   (`RevocationFeed.pollOnce`), which writes KV; the API then refuses.
 */
import { execFile } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { pushSink } from '../../src/feed.js'
import { redisCommand } from '../support/redis-server.js'
import { startExample, startSmokeInfra, type RunningExample, type SmokeInfra } from './harness.js'

const PUSH_SECRET = randomBytes(32).toString('hex')
const PREVIOUS_PUSH_SECRET = randomBytes(32).toString('hex')
const STREAMS_HMAC_KEY = randomBytes(32).toString('hex')
const DAY = 86_400_000
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const REVOKE_STREAM = 'caracal.sessions.revoke'
const EPOCH_STREAM = 'caracal.delegations.invalidate'
// The local KV namespace outlives a run (.wrangler/state) and epochs never go down: each run's epochs
// start above every earlier run's.
const EPOCH_BASE = Date.now()

/** Caracal's stream signature (caracal-mandates.md section 6): HMAC over the stream and sorted fields. */
function streamSignature(stream: string, fields: Record<string, string>): string {
  const canonical = Object.keys(fields)
    .sort()
    .map((key) => `${key}=${fields[key]}\n`)
    .join('')
  return createHmac('sha256', Buffer.from(STREAMS_HMAC_KEY, 'hex')).update(`${stream}\n${canonical}`).digest('hex')
}

describe('edge-examples/revocation-feed-worker (npm run example:revocation-feed-worker)', () => {
  let infra: SmokeInfra
  let example: RunningExample
  const get = (path: string, token?: string): Promise<Response> =>
    fetch(`${example.origin}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
  const receiverUrl = (): string => `${example.origin}/caracal/revocations`

  /** XADDs a message in one of Caracal's producer shapes, signed unless `signed` is false. */
  async function xadd(stream: string, fields: Record<string, string>, signed = true): Promise<void> {
    const all = signed ? { ...fields, _sig: streamSignature(stream, fields) } : fields
    await redisCommand(infra.redisPort!, 'XADD', stream, '*', ...Object.entries(all).flat())
  }

  async function runCron(): Promise<void> {
    const res = await get('/__scheduled?cron=*+*+*+*+*')
    const body = await res.text()
    expect(res.status, `${body}\n--- worker output ---\n${example.output()}`).toBe(200)
  }

  beforeAll(async () => {
    infra = await startSmokeInfra()
    if (infra.redisPort === undefined) throw new Error('redis-server is required for this smoke test')
    example = await startExample(
      'revocation-feed-worker',
      {
        ...infra.env,
        CARACAL_FEED_PUSH_SECRET: PUSH_SECRET,
        CARACAL_FEED_PUSH_SECRET_PREVIOUS: PREVIOUS_PUSH_SECRET,
        STREAMS_HMAC_KEY,
      },
      { readyTimeoutMs: 120_000 },
    )
  }, 150_000)
  afterAll(async () => {
    await example?.stop()
    await infra?.close()
  }, 30_000)

  test('the API behind the feed serves a valid mandate (200) and refuses a missing one (401)', async () => {
    const ok = await get('/', await infra.dev.mint({ sub: 'user-feed' }))
    expect(ok.status, example.output()).toBe(200)
    expect(await ok.json()).toMatchObject({ sub: 'user-feed' })
    const missing = await get('/')
    expect(missing.status).toBe(401)
    expect(await missing.json()).toMatchObject({ error: 'missing_token' })
  })

  describe('push: pushSink -> revocationReceiver -> KV -> withCaracal', () => {
    test('a pushed revocation makes the next request 401 session_revoked', async () => {
      const sid = `sid-push-${crypto.randomUUID()}`
      const token = await infra.dev.mint({ sid })
      expect((await get('/', token)).status).toBe(200)
      await pushSink({ url: receiverUrl(), secret: PUSH_SECRET }).write([{ kind: 'revoke', anchor: sid, ttlMs: DAY }])
      const res = await get('/', token)
      expect(res.status, example.output()).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'session_revoked' })
    })

    test('a pushed epoch makes a mandate of an older delegation graph 401 delegation_stale', async () => {
      const zoneId = infra.env['CARACAL_ZONE_ID']!
      const token = await infra.dev.mint({ delegation_graph_epoch: EPOCH_BASE })
      expect((await get('/', token)).status).toBe(200)
      await pushSink({ url: receiverUrl(), secret: PUSH_SECRET }).write([
        { kind: 'epoch', zoneId, epoch: EPOCH_BASE + 1, ttlMs: DAY },
      ])
      const res = await get('/', token)
      expect(res.status, example.output()).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'delegation_stale' })
    })

    test('a batch signed with another secret is refused (401) and revokes nothing', async () => {
      const sid = `sid-forged-${crypto.randomUUID()}`
      const token = await infra.dev.mint({ sid })
      const forged = pushSink({ url: receiverUrl(), secret: randomBytes(32).toString('hex') })
      await expect(forged.write([{ kind: 'revoke', anchor: sid, ttlMs: DAY }])).rejects.toThrow(
        /answered 401 \(invalid_signature\)/,
      )
      expect((await get('/', token)).status).toBe(200)
    })

    test('while the secret is rotated, a pusher still on the previous one is accepted', async () => {
      const sid = `sid-rotation-${crypto.randomUUID()}`
      const token = await infra.dev.mint({ sid })
      await pushSink({ url: receiverUrl(), secret: PREVIOUS_PUSH_SECRET }).write([
        { kind: 'revoke', anchor: sid, ttlMs: DAY },
      ])
      expect((await get('/', token)).status).toBe(401)
    })

    test('the receiver answers 405 to a GET', async () => {
      const res = await get('/caracal/revocations')
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('POST')
    })
  })

  describe('CLI: caracal-fetch feed --push -> revocationReceiver -> KV -> withCaracal', () => {
    test('a signed stream message pushed by `caracal-fetch feed --push --once`: 401 session_revoked', async () => {
      const sid = `sid-cli-${crypto.randomUUID()}`
      const token = await infra.dev.mint({ sid })
      expect((await get('/', token)).status).toBe(200)
      await xadd(REVOKE_STREAM, { outbox_id: 'outbox-cli', zone_id: 'zone-smoke', session_id: sid, reason: 'x' })
      const env = {
        ...process.env,
        CARACAL_REDIS_URL: `redis://127.0.0.1:${infra.redisPort}`,
        STREAMS_HMAC_KEY,
        CARACAL_FEED_PUSH_SECRET: PUSH_SECRET,
        // Its own group: this deployment of the feed must see every message, whatever the cron took.
        CARACAL_FEED_GROUP: 'smoke-cli-push',
        CARACAL_FEED_CONSUMER: 'smoke-cli-1',
      }
      const run = await promisify(execFile)(process.execPath, [CLI, 'feed', '--push', receiverUrl(), '--once'], {
        env,
        timeout: 60_000,
      })
      const res = await get('/', token)
      expect(res.status, `${run.stdout}\n--- worker output ---\n${example.output()}`).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'session_revoked' })
    })
  })

  describe('cron: Caracal streams in Upstash -> scheduled() pollOnce -> KV -> withCaracal', () => {
    test('a signed revocation message XADDed to the stream: after the cron tick, 401 session_revoked', async () => {
      const sid = `sid-cron-${crypto.randomUUID()}`
      const token = await infra.dev.mint({ sid })
      expect((await get('/', token)).status).toBe(200)
      await xadd(REVOKE_STREAM, {
        outbox_id: 'outbox-1',
        zone_id: 'zone-smoke',
        session_id: sid,
        reason: 'grant_revoked',
      })
      await runCron()
      const res = await get('/', token)
      expect(res.status, example.output()).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'session_revoked' })
    })

    test('a signed delegation epoch message: after the cron tick, an older mandate gets 401 delegation_stale', async () => {
      const token = await infra.dev.mint({ delegation_graph_epoch: EPOCH_BASE + 10 })
      expect((await get('/', token)).status, example.output()).toBe(200)
      await xadd(EPOCH_STREAM, {
        outbox_id: 'outbox-2',
        dedupe_key: 'edge-revoke-1',
        event: 'edge_revoke',
        zone_id: infra.env['CARACAL_ZONE_ID']!,
        edge_id: 'edge-1',
        epoch: String(EPOCH_BASE + 11),
      })
      await runCron()
      const res = await get('/', token)
      expect(res.status, example.output()).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'delegation_stale' })
    })

    test('an unsigned message is dead-lettered and revokes nothing', async () => {
      const sid = `sid-unsigned-${crypto.randomUUID()}`
      const token = await infra.dev.mint({ sid })
      await xadd(REVOKE_STREAM, { outbox_id: 'outbox-3', zone_id: 'zone-smoke', session_id: sid, reason: 'x' }, false)
      await runCron()
      expect((await get('/', token)).status, example.output()).toBe(200)
      const dead = (await redisCommand(infra.redisPort!, 'XRANGE', `${REVOKE_STREAM}.dead`, '-', '+')) as unknown[]
      expect(JSON.stringify(dead)).toContain(sid)
      expect(JSON.stringify(dead)).toContain('invalid_signature')
    })
  })
})
