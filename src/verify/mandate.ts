/** The verified mandate as handlers see it: Caracal's claims in camelCase. */

/** One link of a mandate's `delegation_chain`. */
export interface DelegationChainLink {
  readonly applicationId: string
  readonly agentSessionId: string | undefined
  readonly delegationEdgeId: string | undefined
}

/** The `use` a Caracal mandate is minted for. Resource servers accept only `resource` by default. */
export type MandateUse = 'session' | 'gateway' | 'resource'

/**
 * A verified Caracal mandate, claims in camelCase. Every property is present (optional claims are
 * `undefined` when absent). Frozen, claims included: it may be shared by every request that
 * presents the same token.
 */
export interface Mandate {
  readonly issuer: string
  readonly audience: readonly string[]
  readonly sub: string
  readonly subType: 'user' | 'application'
  readonly clientId: string
  readonly zoneId: string
  readonly jti: string
  readonly use: MandateUse
  /** `iat`, seconds since the epoch. */
  readonly issuedAt: number
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number
  /** `nbf`, seconds since the epoch, when present. */
  readonly notBefore: number | undefined
  /** The raw space-delimited `scope` claim (`''` when absent). */
  readonly scope: string
  readonly scopes: readonly string[]
  readonly targets: readonly string[]
  /** `sid`: the authority record, a revocation anchor. */
  readonly authorityRecordId: string
  /** `root_sid`: the root authority record, a revocation anchor. */
  readonly rootAuthorityRecordId: string
  /** Present on agent mandates; a revocation anchor. */
  readonly agentSessionId: string | undefined
  /** Present on delegated mandates; a revocation anchor. */
  readonly delegationEdgeId: string | undefined
  readonly sourceSessionId: string | undefined
  readonly targetSessionId: string | undefined
  readonly delegationPath: readonly string[]
  readonly delegationChain: readonly DelegationChainLink[]
  /** `hop_count`, 0 when absent. */
  readonly hopCount: number
  readonly delegationGraphEpoch: number | undefined
  /** The raw verified JWT payload. */
  readonly claims: Readonly<Record<string, unknown>>
}
