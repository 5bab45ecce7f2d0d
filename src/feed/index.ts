/**
 * `caracal-fetch/feed`: getting Caracal's revocations to the edge. See docs/feed.md.
 */
export { pushSink } from './push-sink.js'
export type { PushSinkOptions } from './push-sink.js'
export { revocationReceiver, RevocationReceiverError } from './receiver.js'
export type { RevocationReceiverErrorCode, RevocationReceiverOptions, WritableRevocationStore } from './receiver.js'
export type { RevocationSink, RevocationWrite } from './sink.js'
