import { KvRevocationStore, type KvNamespaceLike } from 'caracal-fetch/cloudflare-kv'

export async function revokeExamples(env: { REVOCATIONS: KvNamespaceLike }): Promise<void> {
  const store = new KvRevocationStore(env.REVOCATIONS)
  await store.markRevoked('sid-123') // put caracal:revoked:sessions:sid-123 = "1", expirationTtl 86400
  await store.markRevoked('agent-session-9', 15 * 60_000)
  await store.markDelegationEpoch('zone-a', 42) // never lowers the stored epoch (see below)
}
