/**
 * The `@upstash/redis` client of the Upstash store: the part of it the store uses, and the one
 * `fromEnv` builds from UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, loading the package
 * lazily so the store can be bundled without it.
 */
import type { Redis } from '@upstash/redis'
import { fromBindings, fromGlobalEnv } from '../env.js'
import { isLoopback } from '../http/urls.js'

/** The part of an `@upstash/redis` `Redis` client the store uses. */
export type UpstashRedisClient = Pick<Redis, 'mget' | 'set' | 'eval'>

const ENV_URL = 'UPSTASH_REDIS_REST_URL'
const ENV_TOKEN = 'UPSTASH_REDIS_REST_TOKEN'

/** Whether `value` has the methods of an `UpstashRedisClient`. */
export function isClient(value: unknown): value is UpstashRedisClient {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v['mget'] === 'function' && typeof v['set'] === 'function' && typeof v['eval'] === 'function'
}

/**
 * A client on the URL and token read from `env` when given, else from the global environment.
 * `@upstash/redis` starts loading now; each call waits for it, and rejects if it cannot load.
 *
 * @throws TypeError naming the variable that is missing, or a URL that is not `https:` (`http:`
 *   is accepted for loopback hosts only).
 */
export function clientFromEnv(env: unknown, timeoutMs: number): UpstashRedisClient {
  const read = (name: string): string => {
    const value = env === undefined ? fromGlobalEnv(name) : fromBindings(env, name)
    if (value === undefined) {
      throw new TypeError(
        `UpstashRevocationStore.fromEnv: ${name} is not set; set it${env === undefined ? '' : ' in the env you passed'}, or pass a Redis client to new UpstashRevocationStore(redis)`,
      )
    }
    return value
  }
  const url = read(ENV_URL)
  const token = read(ENV_TOKEN)
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (
    parsed === undefined ||
    !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopback(parsed.hostname)))
  ) {
    throw new TypeError(
      `UpstashRevocationStore.fromEnv: ${ENV_URL} must be an https: URL (http: only on loopback), got ${JSON.stringify(url.slice(0, 80))}`,
    )
  }
  const timeout = (AbortSignal as { timeout?: (ms: number) => AbortSignal }).timeout
  const client = import('@upstash/redis').then(
    ({ Redis: RedisClient }) =>
      new RedisClient({
        url,
        token,
        // One attempt per call. `retry: false` is not that: @upstash/redis 1.39 reads it as
        // `attempts: 1` and loops `i <= attempts`, so a network error is tried twice.
        retry: { retries: 0 },
        enableAutoPipelining: false,
        automaticDeserialization: false,
        // A function, so each request gets a fresh deadline and an abort rejects (the client
        // turns an already-aborted fixed signal into a successful "Aborted" result).
        ...(typeof timeout === 'function' ? { signal: () => timeout.call(AbortSignal, timeoutMs) } : {}),
      }),
    (error: unknown) => {
      throw new Error('UpstashRevocationStore.fromEnv: cannot load @upstash/redis; install it (npm i @upstash/redis)', {
        cause: error,
      })
    },
  )
  // Loading starts now; a failure surfaces on each call (and so as a 503), not as an unhandled rejection.
  client.catch(() => {})
  const lazy = {
    mget: (...keys: string[]) => client.then((r) => r.mget(...keys)),
    set: (key: string, value: string, opts: { px: number }) => client.then((r) => r.set(key, value, opts)),
    eval: (script: string, keys: string[], args: string[]) => client.then((r) => r.eval(script, keys, args)),
  }
  return lazy as unknown as UpstashRedisClient
}
