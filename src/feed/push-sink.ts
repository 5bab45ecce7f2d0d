/**
 * `pushSink`: a `RevocationSink` that sends each batch, signed, to a `revocationReceiver` over HTTPS.
 * It is how revocations reach a store only the edge can write (Workers KV) from a feed running next
 * to a self-hosted Caracal. A batch counts as written only when the receiver answered 2xx with the
 * number of writes it applied; a redirect, any other status, a timeout or a network error rejects,
 * so the feed leaves the stream entries pending and sends them again.
 */
import { rejectUnknownKeys } from '../option-keys.js'
import { validateTimeout } from '../option-values.js'
import type { FetchLike } from '../verify/jwks.js'
import { MAX_PUSH_WRITES, checkWrites, encodePushBatch } from './push-batch.js'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, importPushSecret, signPushBody } from './push-signature.js'
import type { RevocationSink, RevocationWrite } from './sink.js'
import { isLoopback } from '../http/urls.js'

/** Options of {@link pushSink}. */
export interface PushSinkOptions {
  /** The receiver's URL (`https:`; `http:` only on loopback), e.g. `https://api.example.com/caracal/revocations`. */
  url: string
  /** The secret shared with the receiver, at least 32 bytes (`CARACAL_FEED_PUSH_SECRET` in the CLI). */
  secret: string
  /** The fetch used to send batches. @default globalThis.fetch */
  fetch?: FetchLike
  /** Deadline of one request, answer body included, in ms. @default 10_000 */
  timeoutMs?: number
  /** Most writes per request; a larger batch is sent as several requests, in order. @default 250 */
  maxWrites?: number
  /** Clock in milliseconds, for the signed timestamp. @default Date.now */
  now?: () => number
}

const WHERE = 'pushSink'
const KNOWN_KEYS = ['url', 'secret', 'fetch', 'timeoutMs', 'maxWrites', 'now'] as const
const DEFAULT_TIMEOUT_MS = 10_000
const encoder = new TextEncoder()

function checkedUrl(value: unknown): URL {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new TypeError(`${WHERE}: \`url\` must be an absolute URL, e.g. https://api.example.com/caracal/revocations`)
  }
  if (typeof value !== 'string') throw new TypeError(`${WHERE}: \`url\` must be a string`)
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname)))) {
    throw new TypeError(`${WHERE}: \`url\` must use https: (http: is allowed only for 127.0.0.0/8, ::1 and localhost)`)
  }
  // Error messages name the URL; credentials in it would end up in logs.
  if (url.username !== '' || url.password !== '') throw new TypeError(`${WHERE}: \`url\` must not carry credentials`)
  return url
}

/** A short, log-safe account of a refusal body: the receiver's `error` code, if it sent one. */
function refusalCode(text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: unknown }).error
    if (typeof code === 'string' && /^[a-z_]{1,40}$/.test(code)) return ` (${code})`
  } catch {
    // not a receiver's answer
  }
  return ''
}

/**
 * A `RevocationSink` that POSTs each batch to a `revocationReceiver`, signed with `secret`
 * (`X-Caracal-Timestamp`, `X-Caracal-Signature: v1=...`), and resolves only once the receiver
 * answered 2xx `{ "applied": n }` for every request of the batch.
 *
 * @example
 * ```ts
 * import { pushSink } from 'caracal-fetch/feed'
 *
 * const sink = pushSink({ url: 'https://api.example.com/caracal/revocations', secret: process.env.CARACAL_FEED_PUSH_SECRET! })
 * await sink.write([{ kind: 'revoke', anchor: 'sid-123', ttlMs: 86_400_000 }])
 * ```
 */
export function pushSink(options: PushSinkOptions): RevocationSink {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${WHERE}: options are required, e.g. { url, secret }`)
  }
  rejectUnknownKeys(WHERE, options, KNOWN_KEYS)
  const url = checkedUrl(options.url)
  const target = `${url.origin}${url.pathname}` // no query in messages: it may hold a token
  const key = importPushSecret(WHERE, 'secret', options.secret)
  key.catch(() => undefined) // reported by the first write; never an unhandled rejection
  validateTimeout(WHERE, 'timeoutMs', options.timeoutMs)
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxWrites = options.maxWrites ?? MAX_PUSH_WRITES
  if (!(Number.isSafeInteger(maxWrites) && maxWrites > 0)) {
    throw new TypeError(`${WHERE}: \`maxWrites\` must be a positive integer`)
  }
  for (const name of ['fetch', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`${WHERE}: \`${name}\` must be a function`)
    }
  }
  const send: FetchLike = options.fetch ?? ((input, init) => fetch(input, init))
  const now = options.now ?? Date.now

  async function post(writes: readonly RevocationWrite[]): Promise<void> {
    const body = encoder.encode(encodePushBatch(writes))
    const timestamp = Math.floor(now() / 1000)
    const signature = await signPushBody(await key, timestamp, body)
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    let status: number
    let text: string
    try {
      const response = await send(url.href, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signature,
        },
        body,
        // A redirected POST may become a GET answered 200 by some other page: never an acknowledgement.
        redirect: 'manual',
        signal: controller.signal,
      })
      status = response.status
      text = await response.text()
    } catch (error) {
      if (controller.signal.aborted) throw new Error(`${WHERE}: no answer from ${target} within ${timeoutMs} ms`)
      const reason = error instanceof Error ? error.message : String(error)
      throw new Error(`${WHERE}: POST ${target} failed: ${reason}`, { cause: error })
    } finally {
      clearTimeout(timer)
    }
    if (status < 200 || status > 299) {
      throw new Error(`${WHERE}: ${target} answered ${status}${refusalCode(text)}; the batch was not stored`)
    }
    // A 2xx from anything but a receiver (a catch-all route, a login page) must not count as stored.
    let applied: unknown
    try {
      applied = (JSON.parse(text) as { applied?: unknown }).applied
    } catch {
      applied = undefined
    }
    if (applied !== writes.length) {
      throw new Error(
        `${WHERE}: ${target} answered ${status} without { "applied": ${writes.length} }; is it a revocationReceiver?`,
      )
    }
  }

  return {
    async write(writes) {
      // The whole batch first: a bad write found in a later request would leave earlier ones sent.
      checkWrites(WHERE, writes)
      for (let i = 0; i < writes.length; i += maxWrites) await post(writes.slice(i, i + maxWrites))
    },
  }
}
