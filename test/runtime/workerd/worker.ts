/**
 * The Worker under test in workerd. Every route wraps the same kind of handler with `withCaracal`
 * and `KvRevocationStore` on the real local KV binding; issuer, zone and audience come from the
 * Worker's vars per request. Some routes wrap the binding to count calls or to inject faults.
 */
import { getMandate, withCaracal, type CaracalError, type CaracalOptions, type JwksStore } from 'caracal-fetch'
import { KvRevocationStore, type KvGetOptions, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'
import { UpstashRevocationStore } from 'caracal-fetch/upstash'

export interface Env {
  REVOCATIONS: KvNamespaceLike
  CARACAL_STS_URL?: string
  CARACAL_ZONE_ID?: string
  CARACAL_AUDIENCE?: string
  UPSTASH_REDIS_REST_URL: string
  UPSTASH_REDIS_REST_TOKEN: string
  UPSTASH_STATS_URL: string
}

/** One call a wrapped namespace saw. */
export interface KvCall {
  readonly method: 'get' | 'put'
  readonly keys: string | string[]
  readonly options: unknown
}

/** Calls seen by the `/counted/` route, and refusals reported to `onError`, for the tests to read. */
export const seen = { calls: [] as KvCall[], errors: [] as { route: string; code: string; reason: string }[] }

function echo(request: Request): Response {
  const mandate = getMandate(request)
  return Response.json({ sub: mandate.sub, sid: mandate.authorityRecordId })
}

function guarded(route: string, revocations: CaracalOptions['revocations'], extra: Partial<CaracalOptions> = {}) {
  return withCaracal(echo, {
    revocations,
    onError: (error: CaracalError) => seen.errors.push({ route, code: error.code, reason: error.reason }),
    ...extra,
  })
}

/** Forwards to the real binding and records every call. */
export function counting(kv: KvNamespaceLike, calls: KvCall[]): KvNamespaceLike {
  return {
    get(key: string | string[], options?: KvGetOptions) {
      calls.push({ method: 'get', keys: Array.isArray(key) ? [...key] : key, options })
      return kv.get(key, options)
    },
    put(key, value, options) {
      calls.push({ method: 'put', keys: key, options })
      return kv.put(key, value, options)
    },
  }
}

/** A runtime without bulk reads: an array key is read as one string key ("a,b"), as JS coerces it. */
export function withoutBulkGet(kv: KvNamespaceLike, calls: KvCall[]): KvNamespaceLike {
  return counting(
    {
      get: (key, options) => kv.get(String(key), options),
      put: (key, value, options) => kv.put(key, value, options),
    },
    calls,
  )
}

const oldRuntimes = new WeakMap<object, KvNamespaceLike>()
function oldRuntime(kv: KvNamespaceLike): KvNamespaceLike {
  let wrapped = oldRuntimes.get(kv)
  if (wrapped === undefined) oldRuntimes.set(kv, (wrapped = withoutBulkGet(kv, seen.calls)))
  return wrapped
}

/** One Upstash store per isolate, built from the first request's env (the shim of upstash-setup.ts). */
let upstash: UpstashRevocationStore | undefined

const routes: Record<string, (request: Request, env: Env, ctx: unknown) => Promise<Response>> = {
  // A generous deadline: the first call also loads @upstash/redis, which the test runner transforms.
  upstash: guarded('upstash', (env: Env) => (upstash ??= UpstashRevocationStore.fromEnv(env, { timeoutMs: 10_000 }))),
  // The documented usage, as is.
  kv: guarded('kv', (env: Env) => new KvRevocationStore(env.REVOCATIONS)),
  counted: guarded('counted', (env: Env) => new KvRevocationStore(counting(env.REVOCATIONS, seen.calls))),
  // One wrapper per binding, as the runtime's binding itself is one object per isolate.
  nobulk: guarded('nobulk', (env: Env) => new KvRevocationStore(oldRuntime(env.REVOCATIONS))),
  // Fault injection: a namespace whose get throws, one whose get rejects, one that never answers.
  throws: guarded(
    'throws',
    () =>
      new KvRevocationStore({
        get: () => {
          throw new Error('KV GET failed: 503 Service Unavailable')
        },
        put: () => Promise.reject(new Error('KV PUT failed')),
      }),
  ),
  rejects: guarded(
    'rejects',
    () =>
      new KvRevocationStore({
        get: () => Promise.reject(new Error('KV GET failed: network connection lost')),
        put: () => Promise.reject(new Error('KV PUT failed')),
      }),
  ),
  hangs: guarded(
    'hangs',
    () => new KvRevocationStore({ get: () => new Promise(() => {}), put: () => new Promise(() => {}) }),
    { revocationTimeoutMs: 300 },
  ),
}

/**
 * A negative control for the cold-start test, NOT how the library works: `/shared-io/start` starts
 * a JWKS fetch and keeps it in module scope; `/shared-io/read`, a later request, reads its body.
 * workerd refuses that, which is the failure the cold-start test must never see from `withCaracal`.
 */
let sharedJwks: Promise<Response> | undefined
async function sharedIo(env: Env, step: string): Promise<Response> {
  if (step === 'start') {
    sharedJwks = fetch(`${env.CARACAL_STS_URL}/.well-known/jwks.json?zone_id=${env.CARACAL_ZONE_ID}`)
    await sharedJwks
    return new Response('started')
  }
  try {
    return new Response(await (await sharedJwks!).text())
  } catch (error) {
    return new Response(String((error as Error)?.message ?? error), { status: 500 })
  }
}

/**
 * Fresh `withCaracal` instances with the persisted JWKS, one per id (a fresh JwksCache, as in a
 * new isolate): `/persisted/<id>` on the Cache API (the default), `/persisted-kv/<id>` on the KV
 * namespace, `/persisted-off/<id>` with `jwksCache: false`. All count their JWKS fetches.
 */
const persisted = new Map<string, ReturnType<typeof guarded>>()
function persistedRoute(route: string, id: string, env: Env): ReturnType<typeof guarded> {
  let handler = persisted.get(`${route}/${id}`)
  if (handler === undefined) {
    const kv = env.REVOCATIONS as unknown as JwksStore
    const jwksCache = route === 'persisted-kv' ? kv : route === 'persisted-off' ? false : undefined
    handler = guarded(`${route}/${id}`, (e: Env) => new KvRevocationStore(e.REVOCATIONS), {
      ...(jwksCache === undefined ? {} : { jwksCache }),
    })
    persisted.set(`${route}/${id}`, handler)
  }
  return handler
}

/** Fresh `withCaracal` instances, one per id, so a test can observe a cold start. */
const cold = new Map<string, ReturnType<typeof guarded>>()

export default {
  async fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    const [, route = '', id = ''] = new URL(request.url).pathname.split('/')
    if (route === '__seen') return Response.json(seen)
    if (route === '__reset') {
      seen.calls.length = 0
      seen.errors.length = 0
      return new Response(null, { status: 204 })
    }
    if (route === 'cold') {
      let handler = cold.get(id)
      if (handler === undefined) {
        // No JWKS anywhere, not even in the Cache API: this route is the cold start that pays the fetch.
        handler = guarded(`cold/${id}`, (e: Env) => new KvRevocationStore(e.REVOCATIONS), { jwksCache: false })
        cold.set(id, handler)
      }
      return handler(request, env, ctx)
    }
    if (route === 'shared-io') return sharedIo(env, id)
    if (route === 'persisted' || route === 'persisted-kv' || route === 'persisted-off') {
      return persistedRoute(route, id, env)(request, env, ctx)
    }
    const handler = routes[route]
    return handler === undefined ? new Response('no such route', { status: 404 }) : handler(request, env, ctx)
  },
}
