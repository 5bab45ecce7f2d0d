/**
 * Refusals: any failure becomes a CaracalError, is reported to `onError` (and, when it points at
 * the deployment, to the deployment log), and is rendered as the one Response every adapter sends
 * for it.
 */
import { isPromise } from '../async.js'
import { CaracalError, isCaracalError, messageOf } from '../errors.js'
import { errorResponse, type RenderOptions } from '../http/respond.js'
import type { ResolvedRequirements } from '../verify/requirements.js'
import { scopesOfChecks } from './routes.js'
import type { DeploymentLog } from './deployment-log.js'

/** The `onError` hook: every refusal with its operator-facing reason and cause. */
export type ErrorHook = (error: CaracalError, request: Request) => void

/** A thrown value as a CaracalError: our own as they are, anything else `invalid_token`. */
export function asCaracalError(caught: unknown): CaracalError {
  return isCaracalError(caught)
    ? caught
    : new CaracalError('invalid_token', `unexpected verification failure: ${messageOf(caught)}`, { cause: caught })
}

/** Reports `error` to the hook and the deployment log, then renders it for `request`. */
export function renderRefusal(
  error: CaracalError,
  request: Request,
  onError: ErrorHook | undefined,
  render: RenderOptions,
  deploymentLog?: DeploymentLog,
): Response {
  if (onError !== undefined) report(onError, error, request)
  if (deploymentLog !== undefined) deploymentLog.record(error, request)
  return errorResponse(error, request.method, render)
}

function report(hook: ErrorHook, error: CaracalError, request: Request): void {
  // An operator's logging must not change what the client gets: a throw is ignored, and so is
  // the rejection of an async hook (left alone, it would be an unhandled rejection, which ends a
  // Node process).
  try {
    const result: unknown = hook(error, request)
    if (isPromise(result)) result.then(undefined, () => {})
  } catch {
    // ignored, as above
  }
}

/**
 * The scopes a challenge names: for a request without a token, those its route requires (the MCP
 * authorization spec asks for them on the 401); for `insufficient_scope`, all of them, not only
 * those of the one spelling of the path that failed, since a client asks for exactly these.
 */
export function withChallengeScopes(error: CaracalError, checks: readonly ResolvedRequirements[]): CaracalError {
  if (error.code === 'missing_token') {
    const scopes = scopesOfChecks(checks)
    return scopes.length === 0
      ? error
      : new CaracalError('missing_token', error.reason, { requiredScopes: scopes, cause: error.cause })
  }
  if (error.code === 'insufficient_scope' && checks.length > 1) {
    return new CaracalError('insufficient_scope', error.reason, {
      requiredScopes: scopesOfChecks(checks),
      missingScopes: error.missingScopes ?? [],
    })
  }
  return error
}
