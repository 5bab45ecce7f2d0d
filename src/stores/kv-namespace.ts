/**
 * The part of the Workers KV binding the KV store uses, declared structurally so the package needs
 * no `@cloudflare/workers-types` at runtime.
 */

/** Options of a KV `get`, as the Workers runtime takes them. */
export interface KvGetOptions {
  type?: 'text'
  cacheTtl?: number
}

/** Options of a KV `put`, as the Workers runtime takes them. */
export interface KvPutOptions {
  expirationTtl?: number
}

/**
 * The part of a Workers KV binding (`KVNamespace`) this store uses, declared structurally so the
 * package needs no `@cloudflare/workers-types` at runtime. A real binding satisfies it; so does a
 * wrapper that forwards to one.
 */
export interface KvNamespaceLike {
  /** A string key answers the value or null; an array of keys answers a `Map` (bulk read). */
  get(key: string | string[], options?: KvGetOptions): Promise<unknown>
  put(key: string, value: string, options?: KvPutOptions): Promise<unknown>
}

/** A bulk `get`'s answer: a Map, or anything with a Map's `get`. */
export function isMapLike(value: unknown): value is { get(key: string): unknown } {
  return (
    value instanceof Map ||
    (typeof value === 'object' && value !== null && typeof (value as Map<string, unknown>).get === 'function')
  )
}

/** Whether `value` looks like a KV binding (what the constructor checks). */
export function isNamespace(value: unknown): value is KvNamespaceLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KvNamespaceLike).get === 'function' &&
    typeof (value as KvNamespaceLike).put === 'function'
  )
}
