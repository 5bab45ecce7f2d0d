/**
 * Revocation store on Upstash Redis, over its REST API.
 *
 * Trade-offs:
 * - Consistency: one Redis is the single source of truth for every isolate, so a revocation is
 *   in force on the very next request everywhere (with Upstash global databases, reads served by a
 *   replica region may lag the primary by its replication delay).
 *   The key layout is Caracal's own (caracal-mandates.md section 5), so Caracal's revocation
 *   consumer and SDKs share the same Redis with us.
 * - Latency: every verification pays one HTTPS round trip to the nearest Upstash region, bounded
 *   by `timeoutMs`; past it the request fails closed with 503, never open.
 * - Cost: at most one command per verification (one MGET of every anchor plus the zone epoch);
 *   verifications that arrive in the same event-loop turn share one MGET (see `coalesceLookups`,
 *   off on Workers). Nothing is cached between requests, on purpose.
 * - Writes are rare: `markRevoked` is one SET with PX; `markDelegationEpoch` is one EVAL of a
 *   script that raises the epoch on the server, so concurrent raises cannot lower it.
 *
 * `@upstash/redis` is imported for its types only. The client is injected; `fromEnv()` is the one
 * place that loads the package, lazily, so this module can be bundled without it.
 */
import { rejectUnknownKeys } from '../option-keys.js'
import type { Redis } from '@upstash/redis'
import { fromBindings, fromGlobalEnv, isWorkers } from '../env.js'
import { withDeadline } from '../async.js'
import { isLoopback } from '../http/urls.js'
import { validateTimeout } from '../option-values.js'
import { DEFAULT_KEY_PREFIX, DEFAULT_REVOCATION_TTL_MS, epochKey, revokedKey } from './keys.js'
import { firstRevoked, isStored, parseEpoch } from './status.js'
import type { BatchRevocationStore, RevocationMark, RevocationStatus } from './types.js'
import { validateAnchor, validateEpoch, validateTtl, validateZoneId } from './validate.js'
import { CoalescedMget } from './coalesced-mget.js'

/** The part of an `@upstash/redis` `Redis` client the store uses. */
export type UpstashRedisClient = Pick<Redis, 'mget' | 'set' | 'eval'>

/** Options of `UpstashRevocationStore`. */
export interface UpstashRevocationStoreOptions {
  /**
   * Prefix of every key. Keep Caracal's default to share one Redis with Caracal's consumer and SDKs.
   * @default 'caracal:revoked:sessions:'
   */
  keyPrefix?: string
  /**
   * Default lifetime of a revocation or epoch mark, in milliseconds (Redis `PX`).
   * @default 86_400_000 (24 h, as Caracal's Redis store)
   */
  ttlMs?: number
  /**
   * Deadline of one store call, in milliseconds, retries of the client included. A lookup that
   * misses it rejects, which `withCaracal` answers with 503 `temporarily_unavailable`.
   * @default 1000
   */
  timeoutMs?: number
  /**
   * Lookups that arrive in the same event-loop turn share one MGET (each key sent once), so a burst
   * of verifications is one billed request. A lookup never joins an MGET already sent and never
   * waits for company; deadlines, 503s and errors stay per request. Ignored on Workers, where one
   * request may not share I/O with another: there every lookup is its own MGET. `false` sends one
   * MGET per lookup everywhere.
   * @default true
   */
  coalesceLookups?: boolean
}

// A record, so the compiler holds the list to the interface: a new option is a new key here.
const UPSTASH_STORE_KEYS = Object.keys({
  keyPrefix: true,
  ttlMs: true,
  timeoutMs: true,
  coalesceLookups: true,
} satisfies Record<keyof UpstashRevocationStoreOptions, true>)

const ENV_URL = 'UPSTASH_REDIS_REST_URL'
const ENV_TOKEN = 'UPSTASH_REDIS_REST_TOKEN'

// Raises the epoch only when the new one is greater, in one server-side step: two writers racing
// cannot lower it, and a stored value that is not a decimal integer is reported, not overwritten.
const RAISE_EPOCH = `local current = redis.call('GET', KEYS[1])
if current then
  if not string.match(current, '^%d+$') then
    return redis.error_reply('stored delegation epoch is not an integer')
  end
  if tonumber(current) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

// Many marks in one request (the revocation feed's batches). Every epoch key is checked before
// anything is written, so a batch refused for a corrupt epoch writes nothing.
const MARK_MANY = `for i, key in ipairs(KEYS) do
  if ARGV[3 * i - 2] == 'e' then
    local current = redis.call('GET', key)
    if current and not string.match(current, '^%d+$') then
      return redis.error_reply('stored delegation epoch is not an integer: ' .. key)
    end
  end
end
for i, key in ipairs(KEYS) do
  local kind, value, px = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  if kind == 'r' then
    redis.call('SET', key, '1', 'PX', px)
  else
    local current = redis.call('GET', key)
    if not current or tonumber(current) < tonumber(value) then redis.call('SET', key, value, 'PX', px) end
  end
end
return #KEYS`

function deadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(work, ms, () => new Error(`Upstash ${what}: no answer within ${ms} ms`))
}

function isClient(value: unknown): value is UpstashRedisClient {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v['mget'] === 'function' && typeof v['set'] === 'function' && typeof v['eval'] === 'function'
}

/**
 * A revocation store shared by every isolate, on Upstash Redis (REST). Answers all revocation
 * anchors of a mandate and its zone's delegation epoch with one MGET: at most one HTTP request per
 * verification, one for a whole burst off Workers. Any error or a missed deadline rejects, so `withCaracal` fails closed with 503.
 *
 * @example
 * ```ts
 * import { Redis } from '@upstash/redis'
 * import { withCaracal } from 'caracal-fetch'
 * import { UpstashRevocationStore } from 'caracal-fetch/upstash'
 *
 * const redis = new Redis({ url, token, retry: { retries: 0 }, enableAutoPipelining: false })
 * const revocations = new UpstashRevocationStore(redis, { timeoutMs: 500 })
 * export default { fetch: withCaracal(handler, { audience: 'resource://billing-api', revocations }) }
 * ```
 */
export class UpstashRevocationStore implements BatchRevocationStore {
  readonly #redis: UpstashRedisClient
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #timeoutMs: number
  readonly #batches: CoalescedMget | undefined

  /**
   * @param redis an `@upstash/redis` `Redis` client. Create it with `retry: { retries: 0 }`, so each
   *   call is one HTTP attempt (a retried write could land twice, a retried read only delays the
   *   503). Not `retry: false`: in @upstash/redis 1.39 that still makes two attempts on a network
   *   error. And without `enableAutoPipelining` (it would batch our lookup with unrelated commands).
   */
  constructor(redis: UpstashRedisClient, options: UpstashRevocationStoreOptions = {}) {
    UpstashRevocationStore.#check(options)
    if (!isClient(redis)) {
      throw new TypeError(
        'UpstashRevocationStore: `redis` must be an @upstash/redis Redis client; pass new Redis({ url, token }) or use UpstashRevocationStore.fromEnv()',
      )
    }
    this.#redis = redis
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
    this.#ttlMs = options.ttlMs ?? DEFAULT_REVOCATION_TTL_MS
    this.#timeoutMs = options.timeoutMs ?? 1000
    this.#batches =
      options.coalesceLookups !== false && !isWorkers() ? new CoalescedMget((keys) => this.#mgetNow(keys)) : undefined
  }

  /**
   * A store on a client built from `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN`, read from
   * `env` when given (a Workers `env`, or any object), else from `process.env` / `Deno.env`. The
   * client makes exactly one HTTP attempt per call (`retry: { retries: 0 }`; `retry: false` would
   * still make two), has automatic pipelining and deserialisation off, and aborts each HTTP request
   * at `timeoutMs`. `@upstash/redis` is loaded on first use.
   *
   * @throws TypeError naming the variable that is missing, or a URL that is not `https:` (`http:`
   *   is accepted for loopback hosts only).
   * @example
   * ```ts
   * // Node, Bun, Deno: once, at module scope
   * const revocations = UpstashRevocationStore.fromEnv()
   * // Workers: the env arrives with each request; build the store once
   * let store: UpstashRevocationStore | undefined
   * withCaracal(handler, { revocations: (env) => (store ??= UpstashRevocationStore.fromEnv(env)) })
   * ```
   */
  static fromEnv(env?: unknown, options: UpstashRevocationStoreOptions = {}): UpstashRevocationStore {
    UpstashRevocationStore.#check(options)
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
    const timeoutMs = options.timeoutMs ?? 1000
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
        throw new Error(
          'UpstashRevocationStore.fromEnv: cannot load @upstash/redis; install it (npm i @upstash/redis)',
          {
            cause: error,
          },
        )
      },
    )
    // Loading starts now; a failure surfaces on each call (and so as a 503), not as an unhandled rejection.
    client.catch(() => {})
    const lazy = {
      mget: (...keys: string[]) => client.then((r) => r.mget(...keys)),
      set: (key: string, value: string, opts: { px: number }) => client.then((r) => r.set(key, value, opts)),
      eval: (script: string, keys: string[], args: string[]) => client.then((r) => r.eval(script, keys, args)),
    }
    return new UpstashRevocationStore(lazy as unknown as UpstashRedisClient, options)
  }

  static #check(options: UpstashRevocationStoreOptions): void {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('UpstashRevocationStore: options must be an object')
    }
    rejectUnknownKeys('UpstashRevocationStore', options, UPSTASH_STORE_KEYS)
    const { keyPrefix, timeoutMs } = options
    if (keyPrefix !== undefined && (typeof keyPrefix !== 'string' || keyPrefix.length === 0)) {
      throw new TypeError(`UpstashRevocationStore: keyPrefix must be a non-empty string, e.g. '${DEFAULT_KEY_PREFIX}'`)
    }
    validateTtl('UpstashRevocationStore', options.ttlMs)
    validateTimeout('UpstashRevocationStore', 'timeoutMs', timeoutMs)
    if (options.coalesceLookups !== undefined && typeof options.coalesceLookups !== 'boolean') {
      throw new TypeError('UpstashRevocationStore: `coalesceLookups` must be true or false')
    }
  }

  /** All anchors and the zone epoch in one MGET (one HTTP request, maybe shared with lookups of the same turn). */
  async lookup(anchors: readonly string[], zoneId: string | undefined): Promise<RevocationStatus> {
    const keys = anchors.map((a) => revokedKey(this.#prefix, a))
    if (zoneId !== undefined) keys.push(epochKey(this.#prefix, zoneId))
    const values = await this.#mget(keys)
    const revoked = firstRevoked(anchors, values, isStored)
    return { revoked, delegationEpoch: zoneId === undefined ? undefined : parseEpoch(values[anchors.length]) }
  }

  /** Caracal's interface: whether one anchor is revoked (one MGET of one key). */
  async isRevoked(anchor: string): Promise<boolean> {
    validateAnchor('UpstashRevocationStore.isRevoked', anchor)
    return (await this.lookup([anchor], undefined)).revoked !== undefined
  }

  /** Caracal's interface: the zone's delegation epoch, or undefined when none is stored. */
  async currentDelegationEpoch(zoneId: string): Promise<number | undefined> {
    validateZoneId('UpstashRevocationStore.currentDelegationEpoch', zoneId)
    return (await this.lookup([], zoneId)).delegationEpoch
  }

  /**
   * Marks an anchor (`sid`, `root_sid`, `agent_session_id` or `delegation_edge_id`) revoked:
   * `SET <prefix><anchor> 1 PX <ttlMs>`, exactly as Caracal's Redis store writes it.
   */
  async markRevoked(anchor: string, ttlMs?: number): Promise<void> {
    validateAnchor('UpstashRevocationStore.markRevoked', anchor)
    validateTtl('UpstashRevocationStore.markRevoked', ttlMs)
    const key = revokedKey(this.#prefix, anchor)
    const reply = await this.#call('SET', (r) => r.set(key, '1', { px: this.#px(ttlMs) }))
    if (reply !== 'OK') throw new Error(`Upstash SET: unexpected reply ${JSON.stringify(reply)?.slice(0, 40)}`)
  }

  /**
   * Raises a zone's delegation epoch; a lower or equal epoch leaves the stored one (and its expiry)
   * as it is. Atomic on the server (one EVAL), so racing writers cannot lower it.
   */
  async markDelegationEpoch(zoneId: string, epoch: number, ttlMs?: number): Promise<void> {
    validateEpoch('UpstashRevocationStore.markDelegationEpoch', zoneId, epoch)
    validateTtl('UpstashRevocationStore.markDelegationEpoch', ttlMs)
    const key = epochKey(this.#prefix, zoneId)
    const reply = await this.#call('EVAL', (r) => r.eval(RAISE_EPOCH, [key], [String(epoch), String(this.#px(ttlMs))]))
    // Integer replies arrive as numbers; a client with deserialisation off may hand back a string.
    if (reply !== 0 && reply !== 1 && reply !== '0' && reply !== '1') {
      throw new Error(`Upstash EVAL: unexpected reply ${JSON.stringify(reply)?.slice(0, 40)}`)
    }
  }

  /**
   * Writes many marks in one request (one EVAL): each anchor as `markRevoked` would, each epoch
   * raised as `markDelegationEpoch` would. The revocation feed writes its batches with it.
   */
  async markMany(marks: readonly RevocationMark[]): Promise<void> {
    const keys: string[] = []
    const args: string[] = []
    for (const mark of marks) {
      validateTtl('UpstashRevocationStore.markMany', mark.ttlMs)
      if (mark.kind === 'revoke') {
        validateAnchor('UpstashRevocationStore.markMany', mark.anchor)
        keys.push(revokedKey(this.#prefix, mark.anchor))
        args.push('r', '1', String(this.#px(mark.ttlMs)))
      } else {
        validateEpoch('UpstashRevocationStore.markMany', mark.zoneId, mark.epoch)
        keys.push(epochKey(this.#prefix, mark.zoneId))
        args.push('e', String(mark.epoch), String(this.#px(mark.ttlMs)))
      }
    }
    if (keys.length === 0) return
    const reply = await this.#call('EVAL', (r) => r.eval(MARK_MANY, keys, args))
    if (Number(reply) !== keys.length) {
      throw new Error(`Upstash EVAL: unexpected reply ${JSON.stringify(reply)?.slice(0, 40)}`)
    }
  }

  #px(ttlMs: number | undefined): number {
    return Math.max(1, Math.ceil(ttlMs ?? this.#ttlMs))
  }

  async #mget(keys: readonly string[]): Promise<readonly unknown[]> {
    if (keys.length === 0) return []
    return this.#batches === undefined ? this.#mgetNow(keys) : this.#batches.get(keys)
  }

  async #mgetNow(keys: readonly string[]): Promise<readonly unknown[]> {
    const values = await this.#call('MGET', (r) => r.mget<unknown[]>(...keys))
    // A client whose fixed AbortSignal fired answers "Aborted" instead of rejecting: not a reply.
    if (!Array.isArray(values) || values.length !== keys.length) {
      throw new Error(`Upstash MGET: unexpected reply ${JSON.stringify(values)?.slice(0, 40)}`)
    }
    return values
  }

  #call<T>(what: string, run: (redis: UpstashRedisClient) => Promise<T>): Promise<T> {
    let work: Promise<T>
    try {
      work = run(this.#redis)
    } catch (error) {
      work = Promise.reject(error)
    }
    return deadline(work, this.#timeoutMs, what)
  }
}
