/**
 * `caracal-fetch/feed`: the consumer of Caracal's revocation streams, writing revocations and
 * delegation epochs into the store `withCaracal` reads. The TCP client (`redis`) is an optional peer
 * dependency loaded only for a `redis://` source; the root entry never loads this module.
 *
 * @example
 * ```ts
 * import { RevocationFeed } from 'caracal-fetch/feed'
 * const feed = new RevocationFeed({ source: 'redis://127.0.0.1:6379', store, hmacKey, consumer: 'feed-1' })
 * await feed.run({ signal })
 * ```
 */
export { RevocationFeed, FEED_STREAMS } from './feed/feed.js'
export type { PollResult, PollOptions, RunOptions, FeedBatch } from './feed/feed.js'
export type { RevocationFeedOptions } from './feed/options.js'
export type { RevocationSink, RevocationWrite } from './feed/sink.js'
export type { WritableRevocationStore } from './feed/store-sink.js'
export { storeSink } from './feed/store-sink.js'
export { canonicalForm, StreamSignature, decodeHmacKey, SIGNATURE_FIELD } from './feed/signature.js'
export { SESSIONS_STREAM, DELEGATIONS_STREAM } from './feed/messages.js'
export type { DeadLetterReason } from './feed/messages.js'
export type { FeedSource } from './feed/sources/resolve.js'
export { pushSink } from './feed/push-sink.js'
export type { PushSinkOptions } from './feed/push-sink.js'
export { revocationReceiver, RevocationReceiverError } from './feed/receiver.js'
export type { RevocationReceiverErrorCode, RevocationReceiverOptions } from './feed/receiver.js'
