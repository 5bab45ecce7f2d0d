/**
 * The two promise helpers every layer shares: telling a value from a promise of one (Caracal's
 * store methods, the signature primitive and handlers may answer either), and a deadline.
 */

/** A value or a promise of it: Caracal's store methods may be sync or async. */
export type MaybePromise<T> = T | Promise<T>

/** A thenable, told by shape: a promise of another realm or library fails `instanceof Promise`. */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** The longest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647

/**
 * `work`, or a rejection with `expired()` once `ms` have passed, whichever settles first. The
 * timer is cleared either way. `onExpire` runs when the deadline wins (e.g. to abort a fetch):
 * the work itself may ignore any abort, and must not hold the caller past the deadline.
 */
export function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  expired: () => Error,
  onExpire?: (reason: Error) => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = expired()
      onExpire?.(reason)
      reject(reason)
    }, ms)
  })
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}
