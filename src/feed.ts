/**
 * `caracal-fetch/feed`: getting Caracal's revocations to the edge (docs/feed.md).
 *
 * @example
 * ```ts
 * import { pushSink, revocationReceiver } from 'caracal-fetch/feed'
 * ```
 */
export { pushSink } from './feed/push-sink.js'
export type { PushSinkOptions } from './feed/push-sink.js'
export { revocationReceiver, RevocationReceiverError } from './feed/receiver.js'
export type { RevocationReceiverErrorCode, RevocationReceiverOptions } from './feed/receiver.js'
export type { RevocationSink, RevocationWrite } from './feed/sink.js'
