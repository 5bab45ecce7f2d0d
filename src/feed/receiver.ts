/**
 * `revocationReceiver`: the Fetch handler that takes signed revocation batches pushed by the feed
 * (`caracal-fetch feed --push`, or `pushSink`) and writes them to a store, for deployments whose
 * store is only reachable from inside the edge platform (Workers KV) while Caracal's Redis is not.
 *
 * A batch is answered 200 only once every write of it is stored; anything else is a refusal the
 * sender sees as a failed batch, so it keeps the stream entries pending and sends them again. Replays
 * are harmless: a revocation mark is idempotent and a store never lowers an epoch.
 */
import { rejectUnknownKeys } from '../option-keys.js'
import type { MaybePromise, RevocationStore } from '../stores/types.js'
import { MAX_PUSH_WRITES, coalesceWrites, decodePushBatch } from './push-batch.js'
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  importPushSecret,
  parsePushTimestamp,
  verifyPushSignature,
} from './push-signature.js'
import type { RevocationWrite } from './sink.js'
import { readBounded } from '../http/read-bounded.js'

/** The part of Caracal's store contract the receiver writes through (sync or async, as Caracal's SDK stores). */
type WritableStore = Required<Pick<RevocationStore, 'markRevoked' | 'markDelegationEpoch'>>

/** Options of {@link revocationReceiver}. */
export interface RevocationReceiverOptions {
  /** Where the writes go, e.g. `new KvRevocationStore(env.REVOCATIONS)`. */
  store: Required<Pick<RevocationStore, 'markRevoked' | 'markDelegationEpoch'>>
  /**
   * The shared secret (at least 32 bytes), or several while one is rotated: a batch signed with
   * any of them is accepted.
   */
  secret: string | readonly string[]
  /** Largest body accepted, in bytes; a larger one gets 413. @default 1_048_576 (1 MiB) */
  maxBodyBytes?: number
  /** Most writes in one batch; a larger one gets 413. @default 250 (what `pushSink` sends at most) */
  maxWrites?: number
  /** Largest accepted difference between the batch's timestamp and this clock, in seconds. @default 300 */
  toleranceSeconds?: number
  /**
   * Receives every refusal with its reason (and the store's exception as `cause`). What it throws is
   * ignored. @default logs `store_unavailable` refusals with `console.error`, ignores the rest
   */
  onError?: (error: RevocationReceiverError, request: Request) => void
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number
}

/** Why a pushed batch was refused; the response body is `{ "error": code }`. */
export type RevocationReceiverErrorCode =
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'invalid_signature'
  | 'stale_timestamp'
  | 'invalid_batch'
  | 'store_unavailable'

const STATUS: Readonly<Record<RevocationReceiverErrorCode, number>> = {
  method_not_allowed: 405,
  payload_too_large: 413,
  invalid_signature: 401,
  stale_timestamp: 401,
  invalid_batch: 400,
  store_unavailable: 503,
}

/** A refused batch, as `onError` sees it: the code, its HTTP status and the operator-facing reason. */
export class RevocationReceiverError extends Error {
  readonly code: RevocationReceiverErrorCode
  readonly status: number

  constructor(code: RevocationReceiverErrorCode, reason: string, options?: { cause?: unknown }) {
    super(reason, options)
    this.name = 'RevocationReceiverError'
    this.code = code
    this.status = STATUS[code]
  }
}

const KNOWN_KEYS = ['store', 'secret', 'maxBodyBytes', 'maxWrites', 'toleranceSeconds', 'onError', 'now'] as const
const WHERE = 'revocationReceiver'
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
const DEFAULT_TOLERANCE_SECONDS = 300
// Store calls in flight at once: Workers runs at most six outgoing connections per request anyway.
const WRITE_CONCURRENCY = 6

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (!(Number.isSafeInteger(value) && (value as number) > 0)) {
    throw new TypeError(`${WHERE}: \`${name}\` must be a positive integer`)
  }
  return value as number
}

function checkedStore(store: unknown): WritableStore {
  const s = store as Partial<Record<keyof WritableStore, unknown>> | null
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.markRevoked !== 'function' ||
    typeof s.markDelegationEpoch !== 'function'
  ) {
    throw new TypeError(
      `${WHERE}: \`store\` must have markRevoked() and markDelegationEpoch(), e.g. new KvRevocationStore(env.REVOCATIONS)`,
    )
  }
  return s as WritableStore
}

function secretList(secret: unknown): readonly unknown[] {
  if (typeof secret === 'string') return [secret]
  if (Array.isArray(secret) && secret.length > 0) return secret
  throw new TypeError(`${WHERE}: \`secret\` is required: a string of at least 32 bytes, or a non-empty array of them`)
}

function defaultOnError(error: RevocationReceiverError): void {
  if (error.code === 'store_unavailable') console.error(`${WHERE}: ${error.message}`)
}

/** The body, or undefined when it is longer than `max` bytes (read no further than that). */
async function readBody(request: Request, max: number): Promise<Uint8Array | undefined> {
  const declared = request.headers.get('content-length')
  if (declared !== null && /^[0-9]+$/.test(declared) && Number(declared) > max) return undefined
  return readBounded(request.body, max)
}

function applyWrite(store: WritableStore, write: RevocationWrite): MaybePromise<void> {
  return write.kind === 'revoke'
    ? store.markRevoked(write.anchor, write.ttlMs)
    : store.markDelegationEpoch(write.zoneId, write.epoch, write.ttlMs)
}

/** Applies every write; rejects with the first store failure once no write is in flight any more. */
async function applyWrites(store: WritableStore, writes: readonly RevocationWrite[]): Promise<void> {
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < writes.length) {
      const write = writes[next++]!
      try {
        await applyWrite(store, write)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, writes.length) }, worker))
  if (failure !== undefined) throw failure.error
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * A Fetch handler that accepts signed revocation batches (`POST`, `X-Caracal-Timestamp`,
 * `X-Caracal-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, body
 * `{ "writes": RevocationWrite[] }`) and writes them to `store`. It answers 200 `{ "applied": n }`
 * only after every write succeeded; 401 for a bad signature or a timestamp off by more than
 * `toleranceSeconds`, 400 for a malformed batch, 413 for one too large, 405 for another method,
 * 503 when the store fails (the sender retries). Mount it on a path of your choice.
 *
 * @example
 * ```ts
 * import { revocationReceiver } from 'caracal-fetch/feed'
 * import { KvRevocationStore } from 'caracal-fetch/cloudflare-kv'
 *
 * export default {
 *   fetch(request: Request, env: Env) {
 *     if (new URL(request.url).pathname !== '/caracal/revocations') return new Response(null, { status: 404 })
 *     const store = new KvRevocationStore(env.REVOCATIONS)
 *     return revocationReceiver({ store, secret: env.CARACAL_FEED_PUSH_SECRET })(request)
 *   },
 * }
 * ```
 */
export function revocationReceiver(options: RevocationReceiverOptions): (request: Request) => Promise<Response> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${WHERE}: options are required, e.g. { store, secret }`)
  }
  rejectUnknownKeys(WHERE, options, KNOWN_KEYS)
  const store = checkedStore(options.store)
  const keys = Promise.all(secretList(options.secret).map((s, i) => importPushSecret(WHERE, `secret[${i}]`, s)))
  keys.catch(() => undefined) // surfaced per request as store_unavailable; never an unhandled rejection
  const maxBodyBytes = positiveInteger('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES)
  const maxWrites = positiveInteger('maxWrites', options.maxWrites, MAX_PUSH_WRITES)
  const tolerance = positiveInteger('toleranceSeconds', options.toleranceSeconds, DEFAULT_TOLERANCE_SECONDS)
  for (const name of ['onError', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`${WHERE}: \`${name}\` must be a function`)
    }
  }
  const onError = options.onError ?? defaultOnError
  const now = options.now ?? Date.now

  async function receive(request: Request): Promise<Response> {
    if (request.method !== 'POST')
      throw new RevocationReceiverError('method_not_allowed', `${request.method} is not POST`)
    const body = await readBody(request, maxBodyBytes)
    if (body === undefined) throw new RevocationReceiverError('payload_too_large', `body over ${maxBodyBytes} bytes`)
    const stamp = request.headers.get(TIMESTAMP_HEADER)
    const timestamp = parsePushTimestamp(stamp)
    if (timestamp === undefined) throw new RevocationReceiverError('invalid_signature', `no valid ${TIMESTAMP_HEADER}`)
    const signature = request.headers.get(SIGNATURE_HEADER)
    if (!(await verifyPushSignature(await keys, stamp!, body, signature))) {
      throw new RevocationReceiverError('invalid_signature', `${SIGNATURE_HEADER} does not match the body`)
    }
    // Checked after the signature, so a skewed clock is reported as such only to a real sender.
    const skew = Math.round(now() / 1000) - timestamp
    if (Math.abs(skew) > tolerance) {
      throw new RevocationReceiverError(
        'stale_timestamp',
        `timestamp is ${skew} s off this clock (limit ${tolerance} s)`,
      )
    }
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body)
    } catch {
      throw new RevocationReceiverError('invalid_batch', 'the body is not UTF-8')
    }
    const batch = decodePushBatch(text, maxWrites)
    if (!batch.ok) {
      throw new RevocationReceiverError(batch.tooLarge ? 'payload_too_large' : 'invalid_batch', batch.problem)
    }
    try {
      await applyWrites(store, coalesceWrites(batch.writes))
    } catch (error) {
      throw new RevocationReceiverError('store_unavailable', `store write failed: ${messageOf(error)}`, {
        cause: error,
      })
    }
    return Response.json({ applied: batch.writes.length })
  }

  return async (request) => {
    try {
      return await receive(request)
    } catch (thrown) {
      const error =
        thrown instanceof RevocationReceiverError
          ? thrown
          : new RevocationReceiverError('store_unavailable', `receiver failed: ${messageOf(thrown)}`, { cause: thrown })
      try {
        onError(error, request)
      } catch {
        // a failing hook never changes the answer
      }
      return refusal(error)
    }
  }
}

function refusal(error: RevocationReceiverError): Response {
  // Only a signed sender reaches the batch checks, so it may learn what was wrong with its batch.
  const detail = error.code === 'invalid_batch' || error.code === 'payload_too_large'
  const headers: Record<string, string> = {}
  if (error.code === 'method_not_allowed') headers['allow'] = 'POST'
  if (error.code === 'store_unavailable') headers['retry-after'] = '1'
  return Response.json(detail ? { error: error.code, error_description: error.message } : { error: error.code }, {
    status: error.status,
    headers,
  })
}
