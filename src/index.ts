/** The root entry: `withCaracal`, `getMandate`, `revalidate`, the memory store, errors and types. No Hono or Upstash code. */
export { withCaracal } from './with-caracal.js'
export type { CaracalFetchHandler } from './with-caracal.js'
export type { CaracalOptions } from './core/options.js'
export type { TrustedZone } from './core/trust.js'
export type { DeploymentLogger, DeploymentLogDetails } from './core/deployment-log.js'
export type {
  VerifiedHook,
  VerificationTimings,
  Telemetry,
  VerificationTrace,
  VerificationResult,
} from './core/observe.js'
export { getMandate, findMandate, revalidate } from './core/request-mandate.js'
export type { ResourceMetadataDocument } from './core/resource-metadata.js'
export { MemoryRevocationStore } from './stores/memory.js'
export type { MemoryRevocationStoreOptions } from './stores/memory.js'
export type { RevocationStore, BatchRevocationStore, RevocationStatus, MaybePromise } from './stores/types.js'
export { CaracalError, isCaracalError, ERROR_TABLE } from './errors.js'
export type { CaracalErrorCode } from './errors.js'
export type { Mandate, MandateUse, DelegationChainLink } from './verify/mandate.js'
export type { Requirements } from './verify/requirements.js'
export type { MandateCacheOptions } from './verify/mandate-cache.js'
export type { JsonWebKeySet, FetchLike } from './verify/jwks.js'
export type { JwksStore } from './verify/jwks-persistence.js'
