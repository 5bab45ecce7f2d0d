/** The JWKS and verified-mandate cache options: their defaults, checks and resolved settings. */
import { rejectUnknownKeys } from '../option-keys.js'
import { validateMilliseconds, validatePositiveInteger, validateTimeout } from '../option-values.js'
import { isUsableJwk, type FetchLike, type JsonWebKeySet } from '../verify/jwks.js'
import {
  resolveJwksStore,
  validateJwksCacheOption,
  type JwksCacheOption,
  type JwksStore,
} from '../verify/jwks-persistence.js'
import type { MandateCacheOptions } from '../verify/mandate-cache.js'

/** The default of every option that has one. */
export const DEFAULTS = Object.freeze({
  jwksTimeoutMs: 3000,
  jwksCooldownMs: 30_000,
  jwksMaxStaleMs: 900_000,
  revocationTimeoutMs: 2000,
  mandateCache: Object.freeze({ maxEntries: 10_000, maxBytes: 16 * 1024 * 1024, maxAgeMs: 300_000 }),
})

const MANDATE_CACHE_KEYS = Object.keys(DEFAULTS.mandateCache)

/** How the JWKS of each trusted zone is had. */
export interface JwksSettings {
  readonly fetch: FetchLike | undefined
  readonly staticJwks: JsonWebKeySet | undefined
  readonly timeoutMs: number
  readonly cooldownMs: number
  readonly maxStaleMs: number
  readonly jwksStore: JwksStore | undefined
}

/** The options `resolveJwksSettings` reads (a subset of `CaracalOptions`). */
export interface JwksOptions {
  fetch?: FetchLike
  jwks?: JsonWebKeySet
  jwksTimeoutMs?: number
  jwksCooldownMs?: number
  jwksMaxStaleMs?: number
  jwksCache?: JwksCacheOption
}

/** Throws a `TypeError` naming `name` unless `value` is a function or absent. */
export function checkFunction(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`${where}: \`${name}\` must be a function`)
}

function checkStaticJwks(where: string, jwks: unknown): void {
  if (jwks === undefined) return
  const keys = (jwks as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw new TypeError(`${where}: \`jwks\` must be a JWK set ({ keys: [...] })`)
  if (!keys.some(isUsableJwk)) {
    throw new TypeError(
      `${where}: \`jwks\` holds no usable key; it needs a public EC P-256 key with a \`kid\` (alg ES256, use sig)`,
    )
  }
}

/** Checks `fetch`, `jwks`, the JWKS timings and `jwksCache`, then resolves them with their defaults. Frozen. */
export function resolveJwksSettings(where: string, options: JwksOptions): JwksSettings {
  checkFunction(where, 'fetch', options.fetch)
  checkStaticJwks(where, options.jwks)
  validateTimeout(where, 'jwksTimeoutMs', options.jwksTimeoutMs)
  validateMilliseconds(where, 'jwksCooldownMs', options.jwksCooldownMs)
  validateMilliseconds(where, 'jwksMaxStaleMs', options.jwksMaxStaleMs)
  validateJwksCacheOption(where, options.jwksCache)
  return Object.freeze({
    fetch: options.fetch,
    staticJwks: options.jwks,
    timeoutMs: options.jwksTimeoutMs ?? DEFAULTS.jwksTimeoutMs,
    cooldownMs: options.jwksCooldownMs ?? DEFAULTS.jwksCooldownMs,
    maxStaleMs: options.jwksMaxStaleMs ?? DEFAULTS.jwksMaxStaleMs,
    jwksStore: resolveJwksStore(options.jwksCache),
  })
}

/** The `mandateCache` option checked, its missing limits defaulted; `false` when turned off. */
export function resolveMandateCache(where: string, option: unknown): Readonly<Required<MandateCacheOptions>> | false {
  if (option === false) return false
  if (option === undefined) return DEFAULTS.mandateCache
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(`${where}: \`mandateCache\` must be false or { maxEntries, maxBytes, maxAgeMs }`)
  }
  rejectUnknownKeys(`${where}: mandateCache`, option, MANDATE_CACHE_KEYS)
  const { maxEntries, maxBytes, maxAgeMs } = option as MandateCacheOptions
  validatePositiveInteger(where, 'mandateCache.maxEntries', maxEntries)
  validatePositiveInteger(where, 'mandateCache.maxBytes', maxBytes)
  validateMilliseconds(where, 'mandateCache.maxAgeMs', maxAgeMs)
  return Object.freeze({
    maxEntries: maxEntries ?? DEFAULTS.mandateCache.maxEntries,
    maxBytes: maxBytes ?? DEFAULTS.mandateCache.maxBytes,
    maxAgeMs: maxAgeMs ?? DEFAULTS.mandateCache.maxAgeMs,
  })
}
