/**
 * The `revocations` option: a store, or a factory that builds one from the Workers `env` per
 * request. Both are checked for Caracal's store interface before they are trusted.
 */
import { CaracalError } from '../errors.js'
import type { RevocationStore } from '../stores/types.js'

/** A store, or the factory to call per request. Exactly one is set. */
export interface StoreSource {
  readonly store: RevocationStore | undefined
  readonly factory: ((env: unknown) => RevocationStore) | undefined
}

function storeProblem(store: unknown): string | undefined {
  if (typeof store !== 'object' || store === null) return 'is not an object'
  const s = store as Record<string, unknown>
  if (typeof s['isRevoked'] !== 'function' && typeof s['lookup'] !== 'function') return 'has no isRevoked() method'
  return undefined
}

/** Validates the `revocations` option at construction. */
export function resolveStoreSource(where: string, revocations: unknown): StoreSource {
  // A store class passed without `new` looks like a factory; it would fail on every request.
  if (typeof revocations === 'function' && storeProblem(revocations.prototype) === undefined) {
    throw new TypeError(
      `${where}: \`revocations\` is a store class, not a store; pass an instance (e.g. new ${revocations.name || 'MemoryRevocationStore'}())`,
    )
  }
  if (typeof revocations === 'function' && storeProblem(revocations) !== undefined) {
    return Object.freeze({ store: undefined, factory: revocations as (env: unknown) => RevocationStore })
  }
  const problem = storeProblem(revocations)
  if (problem !== undefined) {
    throw new TypeError(
      `${where}: \`revocations\` ${revocations === undefined ? 'is required' : problem}; pass a store such as new MemoryRevocationStore(), or (env) => store`,
    )
  }
  return Object.freeze({ store: revocations as RevocationStore, factory: undefined })
}

/** The store a factory builds for one request's `env`; `server_misconfigured` when it cannot. */
export function storeFromFactory(factory: (env: unknown) => RevocationStore, env: unknown): RevocationStore {
  let store: unknown
  try {
    store = factory(env)
  } catch (error) {
    throw new CaracalError('server_misconfigured', 'the `revocations` factory threw (its error is the cause)', {
      cause: error,
    })
  }
  const problem = storeProblem(store)
  if (problem !== undefined) {
    throw new CaracalError('server_misconfigured', `the \`revocations\` factory returned a store that ${problem}`)
  }
  return store as RevocationStore
}
