/**
 * The options of `RevocationFeed`: their types, defaults and the one validation pass at
 * construction. A misconfigured feed fails here with a TypeError naming the option, never later
 * while it runs.
 */
import { rejectUnknownKeys } from '../option-keys.js'
import { validateMilliseconds } from '../option-values.js'
import { DEFAULT_REVOCATION_TTL_MS } from '../stores/keys.js'
import { validateTtl } from '../stores/validate.js'
import { decodeHmacKey } from './signature.js'
import type { RevocationSink } from './sink.js'
import { checkSource, type FeedSource } from './sources/resolve.js'
import { isSink, isWritableStore, storeSink, type WritableRevocationStore } from './store-sink.js'

/** Options of `RevocationFeed`. */
export interface RevocationFeedOptions {
  /**
   * Where Caracal's streams are read: a `redis://` / `rediss://` URL (needs the `redis` package; the
   * feed opens and closes the connection), a node-redis client (`createClient()` from `redis`, used
   * as it is and never closed by the feed), or an `@upstash/redis` `Redis` created with
   * `automaticDeserialization: false` (REST: polls, no blocking reads; runs in Workers).
   */
  source: FeedSource
  /**
   * Where revocations are written: a store with `markRevoked` and `markDelegationEpoch`
   * (`UpstashRevocationStore`, whose batches go out in one request; `KvRevocationStore`;
   * `MemoryRevocationStore`; a store written for Caracal's SDKs), or any `RevocationSink`.
   */
  store: WritableRevocationStore | RevocationSink
  /**
   * The Caracal deployment's `STREAMS_HMAC_KEY`, hex, at least 32 bytes. Every message must then
   * carry a valid `_sig`; an unsigned or badly signed one is dead-lettered. Required unless
   * `insecureAcceptUnsigned` is set.
   */
  hmacKey?: string
  /**
   * Accept messages without checking `_sig`, for a Caracal deployment that signs nothing. Anyone who
   * can write to its Redis can then revoke sessions and raise epochs. Not allowed with `hmacKey`.
   * @default false
   */
  insecureAcceptUnsigned?: boolean
  /**
   * Consumer group: one per deployment of the feed (every group receives every message).
   * @default 'caracal-fetch'
   */
  group?: string
  /** This consumer's name within the group; stable and unique per running process. */
  consumer: string
  /**
   * How long an entry delivered but not acknowledged waits before it is claimed again (`XAUTOCLAIM`):
   * after a failed write, or when a consumer died between writing and acknowledging.
   * @default 30_000
   */
  pendingIdleMs?: number
  /**
   * Most entries read per command.
   * @default 100
   */
  batchSize?: number
  /**
   * How long one blocking read waits in `run()` (TCP sources), in ms: also how soon `run()` notices
   * an abort.
   * @default 1000
   */
  blockMs?: number
  /**
   * Lifetime of each revocation mark and epoch written, in ms.
   * @default 86_400_000 (24 h, as Caracal's consumer)
   */
  ttlMs?: number
  /**
   * Receives the failures the feed recovers from (a Redis or store error, a write left pending), with
   * a one-line description. Nothing here stops the feed.
   * @default logs the line and the error message with `console.error`
   */
  onError?: (error: unknown, what: string) => void
}

const KNOWN_KEYS = [
  'source',
  'store',
  'hmacKey',
  'insecureAcceptUnsigned',
  'group',
  'consumer',
  'pendingIdleMs',
  'batchSize',
  'blockMs',
  'ttlMs',
  'onError',
] as const

/** The options after validation, defaults applied. */
export interface NormalizedFeedOptions {
  readonly source: FeedSource
  readonly sink: RevocationSink
  readonly hmacKey: Uint8Array<ArrayBuffer> | undefined
  readonly group: string
  readonly consumer: string
  readonly pendingIdleMs: number
  readonly batchSize: number
  readonly blockMs: number
  readonly ttlMs: number
  readonly onError: (error: unknown, what: string) => void
}

const WHERE = 'RevocationFeed'
// Names Redis takes as one argument and a log shows on one line.
const NAME = /^[\x21-\x7e]{1,200}$/

function defaultOnError(error: unknown, what: string): void {
  const message = error instanceof Error ? error.message : String(error)
  console.error(`caracal-fetch feed: ${what}: ${message}`)
}

function checkName(option: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new TypeError(`${WHERE}: \`${option}\` must be 1 to 200 printable ASCII characters without spaces`)
  }
  return value
}

function checkCount(option: string, value: unknown, max: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max)) {
    throw new TypeError(`${WHERE}: \`${option}\` must be an integer from 1 to ${max}`)
  }
}

/** Validates `options` once and applies the defaults. */
export function normalizeFeedOptions(options: RevocationFeedOptions): NormalizedFeedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE}: options must be an object`)
  rejectUnknownKeys(WHERE, options, KNOWN_KEYS)
  const { source, store, hmacKey, insecureAcceptUnsigned, group, consumer, onError } = options
  if (source === undefined) throw new TypeError(`${WHERE}: no source; pass a redis:// URL or a Redis client`)
  checkSource(WHERE, source)
  let sink: RevocationSink
  if (isSink(store)) sink = store
  else if (isWritableStore(store)) sink = storeSink(store)
  else {
    throw new TypeError(
      `${WHERE}: \`store\` must have markRevoked and markDelegationEpoch (e.g. UpstashRevocationStore) or be a RevocationSink with write()`,
    )
  }
  if (insecureAcceptUnsigned !== undefined && typeof insecureAcceptUnsigned !== 'boolean') {
    throw new TypeError(`${WHERE}: \`insecureAcceptUnsigned\` must be a boolean`)
  }
  if (insecureAcceptUnsigned === true && hmacKey !== undefined) {
    throw new TypeError(`${WHERE}: pass either \`hmacKey\` or \`insecureAcceptUnsigned: true\`, not both`)
  }
  if (hmacKey === undefined && insecureAcceptUnsigned !== true) {
    throw new TypeError(
      `${WHERE}: no hmacKey; pass the deployment's STREAMS_HMAC_KEY (or, if Caracal signs nothing, insecureAcceptUnsigned: true)`,
    )
  }
  const key = hmacKey === undefined ? undefined : decodeHmacKey(WHERE, hmacKey)
  validateMilliseconds(WHERE, 'pendingIdleMs', options.pendingIdleMs)
  validateMilliseconds(WHERE, 'blockMs', options.blockMs, 60_000)
  validateTtl(WHERE, options.ttlMs)
  checkCount('batchSize', options.batchSize, 10_000)
  if (consumer === undefined) {
    throw new TypeError(`${WHERE}: no consumer; pass a stable name unique to this process (e.g. host name and pid)`)
  }
  if (onError !== undefined && typeof onError !== 'function')
    throw new TypeError(`${WHERE}: \`onError\` must be a function`)
  return {
    source,
    sink,
    hmacKey: key,
    group: checkName('group', group ?? 'caracal-fetch'),
    consumer: checkName('consumer', consumer),
    pendingIdleMs: Math.ceil(options.pendingIdleMs ?? 30_000),
    batchSize: options.batchSize ?? 100,
    blockMs: Math.ceil(options.blockMs ?? 1000),
    ttlMs: options.ttlMs ?? DEFAULT_REVOCATION_TTL_MS,
    onError: onError ?? defaultOnError,
  }
}
