/**
 * A Worker that keeps Caracal's revocations current at the edge, in both deployment shapes:
 *
 * - Caracal's streams live in an Upstash database: `scheduled()` (the cron of wrangler.toml) runs one
 *   non-blocking poll of the streams over Upstash REST and writes what it reads to the KV namespace,
 *   or, with CARACAL_FEED_SINK=upstash, to Upstash.
 * - Caracal runs self-hosted (its Redis is not reachable over REST): `caracal-fetch feed --push
 *   https://<this worker>/caracal/revocations` runs next to it and POSTs signed batches, which the
 *   `revocationReceiver` route writes to KV.
 *
 * Every other path is the API these revocations protect: `withCaracal` reading the same store.
 * `/healthz` is open.
 */
import { Redis } from '@upstash/redis/cloudflare'
import { getMandate, withCaracal } from 'caracal-fetch'
import { KvRevocationStore, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'
import { RevocationFeed, revocationReceiver } from 'caracal-fetch/feed'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'

interface Env {
  /** The KV namespace bound in wrangler.toml (`KVNamespace` in @cloudflare/workers-types). */
  REVOCATIONS: KvNamespaceLike
  CARACAL_STS_URL: string
  CARACAL_ZONE_ID: string
  CARACAL_AUDIENCE: string
  /** The Upstash database holding Caracal's streams (and the revocation keys with CARACAL_FEED_SINK=upstash). */
  UPSTASH_REDIS_REST_URL: string
  UPSTASH_REDIS_REST_TOKEN: string
  /** Caracal's STREAMS_HMAC_KEY (hex, at least 32 bytes): every stream message must be signed with it. */
  STREAMS_HMAC_KEY: string
  /** The secret `caracal-fetch feed --push` signs its batches with (CARACAL_FEED_PUSH_SECRET there too). */
  CARACAL_FEED_PUSH_SECRET: string
  /** While the secret is rotated: the previous one, still accepted until every pusher has the new one. */
  CARACAL_FEED_PUSH_SECRET_PREVIOUS?: string
  CARACAL_FEED_GROUP?: string
  CARACAL_FEED_CONSUMER?: string
  CARACAL_FEED_SINK?: string
}

/** The parts of the Workers `ScheduledController` and `ExecutionContext` used here. */
interface ScheduledController {
  readonly cron: string
}
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

const RECEIVER_PATH = '/caracal/revocations'

function upstash(env: Env): Redis {
  // Stream fields stay the strings Caracal signed: no JSON decoding of values by the client.
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    automaticDeserialization: false,
  })
}

/** Where revocations are written and read: KV by default, Upstash when CARACAL_FEED_SINK=upstash. */
function revocationStore(env: Env): KvRevocationStore | UpstashRevocationStore {
  return env.CARACAL_FEED_SINK === 'upstash'
    ? UpstashRevocationStore.fromEnv(env)
    : new KvRevocationStore(env.REVOCATIONS)
}

function api(request: Request): Response {
  if (new URL(request.url).pathname === '/healthz') return new Response('ok\n')
  const mandate = getMandate(request)
  return Response.json({ sub: mandate.sub, scopes: mandate.scopes })
}

const protectedApi = withCaracal(api, {
  revocations: (env: Env) => revocationStore(env),
  exclude: ['/healthz'],
  onError: (error) => console.log(`refused ${error.code}: ${error.reason}`),
})

// Built on the first push, from that request's env (bindings and secrets only arrive with a request).
let receive: ((request: Request) => Promise<Response>) | undefined

function receiver(env: Env): (request: Request) => Promise<Response> {
  const previous = env.CARACAL_FEED_PUSH_SECRET_PREVIOUS
  const secret = previous ? [env.CARACAL_FEED_PUSH_SECRET, previous] : env.CARACAL_FEED_PUSH_SECRET
  receive ??= revocationReceiver({ store: revocationStore(env), secret })
  return receive
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname !== RECEIVER_PATH) return protectedApi(request, env, ctx)
    try {
      return await receiver(env)(request)
    } catch (error) {
      // A missing or short CARACAL_FEED_PUSH_SECRET: the pusher sees 500 and keeps its entries pending.
      console.error(`revocation receiver misconfigured: ${error instanceof Error ? error.message : String(error)}`)
      return Response.json({ error: 'server_misconfigured' }, { status: 500 })
    }
  },

  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const feed = new RevocationFeed({
      source: upstash(env),
      store: revocationStore(env),
      hmacKey: env.STREAMS_HMAC_KEY,
      group: env.CARACAL_FEED_GROUP || 'caracal-fetch-workers',
      consumer: env.CARACAL_FEED_CONSUMER || 'cloudflare-cron',
      pendingIdleMs: 30_000,
    })
    await feed.ensureGroups()
    // Bounded so one tick stays within a Worker's subrequest and KV operation limits; a backlog
    // drains over the next ticks.
    const result = await feed.pollOnce({ budgetMs: 20_000, maxMessages: 200 })
    console.log(`revocation feed (${controller.cron}): ${JSON.stringify(result)}`)
  },
}
