/**
 * PLACEHOLDER until the push sink lands from its own branch: `pushSink` sends each batch, signed, to
 * a `revocationReceiver` over HTTP. This stub only fixes the signature the CLI calls.
 */
import type { RevocationSink } from './sink.js'

/** Options of `pushSink`. */
export interface PushSinkOptions {
  /** The receiver's URL. */
  url: string
  /** The shared secret (`CARACAL_FEED_PUSH_SECRET`). */
  secret: string
  /** The fetch to send with. @default globalThis.fetch */
  fetch?: typeof fetch
}

/** A sink posting signed batches to a `revocationReceiver`. Not implemented in this branch. */
export function pushSink(_options: PushSinkOptions): RevocationSink {
  throw new Error('pushSink: not implemented in this build')
}
