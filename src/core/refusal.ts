/**
 * Refusals: any failure becomes a CaracalError, is reported to `onError` (and, when it points at
 * the deployment, to the deployment log), and is rendered as the one Response every adapter sends
 * for it.
 */
import { isPromise } from '../async.js'
import { CaracalError, isCaracalError, messageOf } from '../errors.js'
import { errorResponse, type RenderOptions } from '../http/respond.js'
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
