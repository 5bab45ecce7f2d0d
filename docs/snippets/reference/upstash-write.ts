import { UpstashRevocationStore } from 'caracal-fetch/upstash'

const revocations = UpstashRevocationStore.fromEnv()
await revocations.markRevoked('sid-123') // SET caracal:revoked:sessions:sid-123 1 PX 86400000
await revocations.markRevoked('agent-session-9', 15 * 60_000)
await revocations.markDelegationEpoch('zone-a', 42) // only ever raises the stored epoch
