/** What authenticating one request comes to, and the parts of the pipeline its side paths share. */
import type { CaracalError } from '../errors.js'
import type { RenderOptions } from '../http/respond.js'
import type { ResolvedRequirements } from '../verify/requirements.js'
import type { VerifiedMandate } from '../verify/verified.js'
import type { IdentityContext, RequestContext } from './identity-context.js'
import type { ResolvedCaracalOptions } from './options.js'
import { asCaracalError, renderRefusal, withChallengeScopes } from './refusal.js'

/**
 * What authenticating one request came to. A `verified` outcome is shared by every request that
 * presents the same token (it is the cache's record of it): read it, never change it. `answered`
 * is a response the wrapper gives itself (the RFC 9728 document), no handler involved.
 */
export type AuthOutcome =
  | VerifiedMandate
  | { readonly kind: 'excluded' }
  | { readonly kind: 'answered'; readonly response: Response }
  | { readonly kind: 'refused'; readonly error: CaracalError; readonly response: Response }

/** The outcome of a request let through unverified (an excluded path, an allowed preflight). */
export const EXCLUDED: AuthOutcome = Object.freeze({ kind: 'excluded' })

/** What the observed path and the early answers need of an `Authenticator`. */
export interface PipelineParts {
  readonly config: ResolvedCaracalOptions
  readonly defaultChecks: readonly ResolvedRequirements[]
  /** The verifier, store and challenge options of a request. */
  contextFor(env: unknown): RequestContext
  /** The verifier and challenge options of a request's identity, without its store. */
  identityContextFor(env: unknown): IdentityContext
}

/** A failure as a refusal: reported to `onError`, rendered with the checks' scopes in the challenge. */
export function refusedOutcome(
  config: ResolvedCaracalOptions,
  caught: unknown,
  request: Request,
  render: RenderOptions,
  checks: readonly ResolvedRequirements[],
): AuthOutcome {
  const error = withChallengeScopes(asCaracalError(caught), checks)
  return {
    kind: 'refused',
    error,
    response: renderRefusal(error, request, config.onError, render, config.deploymentLog),
  }
}
