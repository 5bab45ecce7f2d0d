/**
 * Checks of option values shared by the core and the stores: durations and counts. Each throws a
 * `TypeError` that names the option, at construction.
 */
import { MAX_TIMEOUT_MS } from './async.js'

/** A duration option, when given: a positive, finite number of milliseconds, at most `max`. */
export function validateMilliseconds(
  where: string,
  name: string,
  value: number | undefined,
  max = Number.POSITIVE_INFINITY,
): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    const bound = max === Number.POSITIVE_INFINITY ? '' : `, at most ${max}`
    throw new TypeError(`${where}: \`${name}\` must be a positive number of milliseconds${bound}`)
  }
}

/** A deadline option: a positive number of milliseconds that a timer can actually wait. */
export function validateTimeout(where: string, name: string, value: number | undefined): void {
  validateMilliseconds(where, name, value, MAX_TIMEOUT_MS)
}

/** A count option, when given: a positive safe integer. */
export function validatePositiveInteger(where: string, name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
    throw new TypeError(`${where}: \`${name}\` must be a positive integer`)
  }
}
