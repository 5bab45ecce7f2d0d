/**
 * The contract between the revocation feed and where it writes: a batch of revocation writes that
 * either all take effect or fail as a whole. The feed acknowledges a stream entry only after the batch
 * holding its writes resolved, so a sink must resolve only once every write is durable in its backend.
 * Store adapters (memory, Upstash, KV, a Caracal-SDK shaped store) and the push sink (signed HTTP batches
 * to a `revocationReceiver`) implement it; the push wire format carries the same `RevocationWrite` objects.
 */

/** One write the feed derived from a stream message. */
export type RevocationWrite =
  /** Mark one revocation anchor (`session_id`, `sid`, `root_sid`, `agent_session_id`, `delegation_edge_id`). */
  | { readonly kind: 'revoke'; readonly anchor: string; readonly ttlMs: number }
  /** Raise the zone's delegation epoch (never lower it). */
  | { readonly kind: 'epoch'; readonly zoneId: string; readonly epoch: number; readonly ttlMs: number }

/** Where the feed writes. `write` resolves only after every write of the batch is stored, or rejects. */
export interface RevocationSink {
  write(writes: readonly RevocationWrite[]): Promise<void>
}
