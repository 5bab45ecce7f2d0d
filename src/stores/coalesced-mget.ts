/**
 * Lookups that arrive in the same event-loop turn share one MGET, each key sent once: a burst of
 * verifications then costs one billed Upstash request instead of one each.
 *
 * What each lookup keeps as its own: it never joins a batch already sent, so its answer is read
 * after it arrived (a write that finished before it is seen); a failed batch rejects every lookup
 * in it with an error of its own; deadlines stay with the caller. Never use this on Workers, where
 * one request may not await I/O that another request started.
 */
import { messageOf } from '../errors.js'

/** Sends one MGET of distinct `keys` and answers their values in the same order. */
export type SendMget = (keys: readonly string[]) => Promise<readonly unknown[]>

/** A bound on one request body; a burst beyond it is split into more batches. */
const MAX_KEYS_PER_BATCH = 500

interface Waiter {
  /** Where each of the lookup's keys sits in the batch. */
  readonly positions: readonly number[]
  readonly resolve: (values: readonly unknown[]) => void
  readonly reject: (error: Error) => void
}

interface Batch {
  readonly keys: string[]
  readonly positionOf: Map<string, number>
  readonly waiters: Waiter[]
}

type Schedule = (run: () => void) => void

/**
 * Runs `send` once the event loop has handed out every I/O event of this turn, with no timer:
 * microtasks run between two incoming requests, so they would batch nothing across requests, while
 * setImmediate (Node, Bun, Deno) runs after all of them. queueMicrotask where it is missing.
 */
function atEndOfTurn(): Schedule {
  const immediate = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate
  if (typeof immediate === 'function') return (run) => void immediate(run)
  return (run) => queueMicrotask(run)
}

/**
 * Gathers the MGET lookups of one event-loop turn into a single MGET.
 *
 * @example
 * ```ts
 * const batches = new CoalescedMget((keys) => redis.mget(...keys))
 * const [a, b] = await batches.get(['k1', 'k2'])
 * ```
 */
export class CoalescedMget {
  readonly #send: SendMget
  readonly #schedule: Schedule = atEndOfTurn()
  /** The batch still open to new lookups; undefined once it is sent. */
  #open: Batch | undefined

  constructor(send: SendMget) {
    this.#send = send
  }

  /** The values of `keys`, in order, from the MGET of the batch this lookup joins. */
  get(keys: readonly string[]): Promise<readonly unknown[]> {
    let batch = this.#open
    if (batch === undefined || (batch.keys.length > 0 && batch.keys.length + keys.length > MAX_KEYS_PER_BATCH)) {
      const opened: Batch = { keys: [], positionOf: new Map(), waiters: [] }
      this.#open = batch = opened
      this.#schedule(() => this.#flush(opened))
    }
    const positions = keys.map((key) => {
      let position = batch.positionOf.get(key)
      if (position === undefined) {
        position = batch.keys.push(key) - 1
        batch.positionOf.set(key, position)
      }
      return position
    })
    return new Promise((resolve, reject) => batch.waiters.push({ positions, resolve, reject }))
  }

  #flush(batch: Batch): void {
    // Closed before sending: a lookup from now on gets a batch that is read after it arrived.
    if (this.#open === batch) this.#open = undefined
    let reply: Promise<readonly unknown[]>
    try {
      reply = this.#send(batch.keys)
    } catch (error) {
      reply = Promise.reject(error)
    }
    reply.then(
      (values) => {
        for (const waiter of batch.waiters) waiter.resolve(waiter.positions.map((p) => values[p]))
      },
      (error: unknown) => {
        const shared = batch.waiters.length > 1 ? ` (one MGET shared by ${batch.waiters.length} lookups)` : ''
        for (const waiter of batch.waiters) waiter.reject(new Error(`${messageOf(error)}${shared}`, { cause: error }))
      },
    )
  }
}
