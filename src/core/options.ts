/**
 * The options of `withCaracal` and the Hono middleware: every option's default, validation and
 * environment lookup happens here, once, at construction, and yields one frozen
 * `ResolvedCaracalOptions` that the rest of the core reads. Adding an option means adding it to
 * `CaracalOptions`, to `OPTION_KEYS` (the compiler insists) and to `resolveCaracalOptions` (the JWKS
 * and mandate-cache settings resolve in `verification-settings.ts`).
 */
import { rejectUnknownKeys } from '../option-keys.js'
import { validateTimeout } from '../option-values.js'
import { checkIdentityHeader } from '../http/identity-header.js'
import type { RenderOptions } from '../http/respond.js'
import type { RevocationStore } from '../stores/types.js'
import { resolveObservation, type Observation, type Telemetry, type VerifiedHook } from './observe.js'
import { resolveDeploymentLog, type DeploymentLog, type DeploymentLogger } from './deployment-log.js'
import type { FetchLike, JsonWebKeySet } from '../verify/jwks.js'
import type { JwksCacheOption } from '../verify/jwks-persistence.js'
import type { MandateCacheOptions } from '../verify/mandate-cache.js'
import { pickRequirements, REQUIREMENT_KEYS, type Requirements } from '../verify/requirements.js'
import { resolveIdentity, type IdentityConfig } from './identity.js'
import type { TrustedZone } from './trust.js'
import type { ErrorHook } from './refusal.js'
import {
  resolveResourceMetadata,
  type ResourceMetadataConfig,
  type ResourceMetadataDocument,
} from './resource-metadata.js'
import { resolveRouteTable, scopesOfRoutes, type RouteTable } from './routes.js'
import { resolveStoreSource, type StoreSource } from './store.js'
import {
  DEFAULTS,
  checkFunction,
  resolveJwksSettings,
  resolveMandateCache,
  type JwksSettings,
} from './verification-settings.js'

export { DEFAULTS, type JwksSettings }

/** Options of `withCaracal` and of the Hono middleware. */
export interface CaracalOptions extends Requirements {
  /**
   * This resource's identifier; the mandate's `aud` must contain it. Required: pass it or set
   * `CARACAL_AUDIENCE`.
   */
  audience?: string
  /**
   * The revocation store, or a function that builds one from the Workers `env` (called per request).
   * Any object with Caracal's store interface (`isRevoked`, optional `currentDelegationEpoch`) works.
   */
  revocations: RevocationStore | ((env: any) => RevocationStore)
  /**
   * The Caracal STS URL (`https:`; `http:` only on loopback).
   * @default the `CARACAL_STS_URL` variable
   */
  issuer?: string
  /**
   * The zone whose keys and mandates are trusted.
   * @default the `CARACAL_ZONE_ID` variable
   */
  zoneId?: string
  /**
   * Several issuer+zone pairs instead of one `issuer` and `zoneId` (a provider serving several
   * Caracal zones). The `iss` and `zone_id` a token claims pick its pair before any key is fetched;
   * that pair's JWKS then verifies the signature, and the claims must name exactly that pair. A
   * token naming no configured pair is refused without a network call. Not combinable with
   * `issuer`, `zoneId` or `jwks`; the environment's issuer and zone are then not read.
   * @default undefined (one pair: `issuer` and `zoneId`)
   * @example
   * ```ts
   * withCaracal(app, { audience, revocations, trust: [
   *   { issuer: 'https://sts.example.com', zoneId: 'zone-a' },
   *   { issuer: 'https://sts.example.com', zoneId: 'zone-b' },
   * ] })
   * ```
   */
  trust?: readonly TrustedZone[]
  /** The fetch used for the JWKS (e.g. a Workers service binding's `fetch`). @default globalThis.fetch */
  fetch?: FetchLike
  /** A static JWK set used instead of fetching the JWKS (air-gapped deployments, tests). */
  jwks?: JsonWebKeySet
  /**
   * Per-path-prefix requirement overrides; the longest matching prefix wins. A path whose spellings
   * (as sent, percent-decoded) fall under different routes must meet every one of them. @default {}
   */
  routes?: Readonly<Record<string, Requirements>>
  /** Path prefixes served without verification (health checks). @default [] */
  exclude?: readonly string[]
  /**
   * RFC 9728 protected resource metadata. A URL string is advertised as `resource_metadata` in
   * every challenge (you serve the document). An object makes the wrapper serve the document itself
   * at `/.well-known/oauth-protected-resource` and at the resource's path-aware URL (built from the
   * audience, which must then be an https URL), unverified, and advertise that URL.
   */
  resourceMetadata?: string | ResourceMetadataDocument
  /**
   * Lets a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`, no
   * credentials) through unverified, for a CORS layer behind the wrapper to answer. Every other
   * `OPTIONS` is verified. The handler must not act on a preflight.
   * @default false
   */
  allowPreflight?: boolean
  /**
   * A header that carries the raw mandate (no scheme), as Caracal's Gateway forwards it in
   * `x-caracal-identity`. When the request has it, `Authorization` is not read; without it,
   * `Authorization: Bearer` is. Lower case. Opt-in: any client can send that header.
   * @default undefined (only `Authorization` is read)
   */
  identityHeader?: string
  /**
   * Receives every refusal with its operator-facing reason and cause. What it throws, or the
   * promise it returns rejects with, is ignored; the response does not wait for it.
   */
  onError?: ErrorHook
  /**
   * Where refusals that point at the deployment (5xx: JWKS or revocation store unreachable,
   * misconfiguration) are logged, each distinct cause at most once a minute; 401/403 are never
   * logged. An object with `warn` or a function; `false` logs nothing.
   * @default `console.warn`, unless `onError` is given
   */
  logger?: false | DeploymentLogger
  /**
   * Receives every verified request with its mandate and timings (total, cache hit, store), for
   * metrics. Throws and rejections are ignored. @default undefined (no timing is taken)
   */
  onVerified?: VerifiedHook
  /**
   * Tracing: one span per verification, JWKS downloads as child spans. Pass `tracing()` from
   * `caracal-fetch/otel` (OpenTelemetry). @default undefined (no tracing code runs)
   */
  telemetry?: Telemetry
  /** Deadline of one JWKS fetch, in ms. @default 3000 */
  jwksTimeoutMs?: number
  /** Least time between two JWKS refetches caused by unknown `kid`s, in ms. @default 30_000 */
  jwksCooldownMs?: number
  /** How long expired JWKS keys may still serve while refetching fails, in ms. @default 900_000 */
  jwksMaxStaleMs?: number
  /**
   * Where the fetched JWKS is kept for the next isolate, so a cold start verifies without a round
   * trip to the STS: any `{ get(key), put(key, value, { expirationTtl }) }` store, such as a Workers
   * KV namespace. An entry serves only while its response is fresh (its clamped `max-age`) and its
   * keys pass the same checks as fetched ones. `false` turns it off.
   * @default `caches.default` (the Workers Cache API) where the runtime has it; elsewhere none
   */
  jwksCache?: JwksCacheOption
  /** Deadline of one asynchronous revocation lookup, in ms; past it the request gets 503. @default 2000 */
  revocationTimeoutMs?: number
  /**
   * The verified-mandate cache: a repeated token skips the signature check (never the route
   * requirements or the revocation lookup). `false` turns it off. With `trust`, one cache serves
   * every zone and these limits bound it as a whole.
   * @default { maxEntries: 10_000, maxBytes: 16 MiB, maxAgeMs: 300_000 }
   */
  mandateCache?: false | MandateCacheOptions
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number
}

// A record, so the compiler holds the list to the interface: an option missing here fails the build.
const OWN_KEYS = Object.keys({
  audience: true,
  revocations: true,
  issuer: true,
  zoneId: true,
  trust: true,
  fetch: true,
  jwks: true,
  routes: true,
  exclude: true,
  resourceMetadata: true,
  allowPreflight: true,
  identityHeader: true,
  onError: true,
  logger: true,
  onVerified: true,
  telemetry: true,
  jwksTimeoutMs: true,
  jwksCooldownMs: true,
  jwksMaxStaleMs: true,
  jwksCache: true,
  revocationTimeoutMs: true,
  mandateCache: true,
  now: true,
} satisfies Record<Exclude<keyof CaracalOptions, keyof Requirements>, true>)

/** Every key `CaracalOptions` accepts; any other is a `TypeError`. */
export const OPTION_KEYS: readonly string[] = Object.freeze([...OWN_KEYS, ...REQUIREMENT_KEYS])

/** `CaracalOptions` validated, defaults applied, environment read: what the core runs on. Frozen. */
export interface ResolvedCaracalOptions {
  /** The name errors are prefixed with (`withCaracal`, `caracal`). */
  readonly where: string
  readonly routes: RouteTable
  readonly identity: IdentityConfig
  readonly revocations: StoreSource
  readonly revocationTimeoutMs: number
  readonly jwks: JwksSettings
  readonly mandateCache: Readonly<Required<MandateCacheOptions>> | false
  /** Challenges' options when `resourceMetadata` is a URL or absent; per identity when it is served. */
  readonly render: RenderOptions
  readonly resourceMetadata: ResourceMetadataConfig
  readonly allowPreflight: boolean
  readonly identityHeader: string | undefined
  readonly onError: ErrorHook | undefined
  /** The log of 5xx refusals, when there is one (see the `logger` option). */
  readonly deploymentLog: DeploymentLog | undefined
  /** `onVerified` and `telemetry`, or undefined when neither is set. */
  readonly observation: Observation | undefined
  readonly now: () => number
}

/**
 * Validates `options` once and resolves them: a `TypeError` that names the option and the fix
 * for any misconfiguration, unknown keys included. The caller's object is not changed.
 */
export function resolveCaracalOptions(
  where: string,
  options: CaracalOptions,
  extraScopes: readonly string[] = [],
): ResolvedCaracalOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options are required, e.g. { audience: 'resource://my-api', revocations }`)
  }
  rejectUnknownKeys(where, options, OPTION_KEYS)
  const routes = resolveRouteTable(where, pickRequirements(options), options.routes, options.exclude)
  const resourceMetadata = resolveResourceMetadata(where, options.resourceMetadata, [
    ...new Set([...scopesOfRoutes(routes), ...extraScopes]),
  ])
  if (options.allowPreflight !== undefined && typeof options.allowPreflight !== 'boolean') {
    throw new TypeError(`${where}: \`allowPreflight\` must be true or false`)
  }
  const identityHeader = checkIdentityHeader(where, options.identityHeader)
  checkFunction(where, 'onError', options.onError)
  const jwks = resolveJwksSettings(where, options)
  validateTimeout(where, 'revocationTimeoutMs', options.revocationTimeoutMs)
  const mandateCache = resolveMandateCache(where, options.mandateCache)
  checkFunction(where, 'now', options.now)
  const revocations = resolveStoreSource(where, options.revocations)
  const identity = resolveIdentity(where, options)
  if (identity.trust !== undefined && options.jwks !== undefined) {
    throw new TypeError(
      `${where}: \`jwks\` (one static key set) cannot serve the several zones of \`trust\`; pass \`fetch\``,
    )
  }
  const now = options.now ?? Date.now
  const observation = resolveObservation(where, options.onVerified, options.telemetry)
  return Object.freeze({
    where,
    routes,
    identity,
    revocations,
    revocationTimeoutMs: options.revocationTimeoutMs ?? DEFAULTS.revocationTimeoutMs,
    jwks,
    mandateCache,
    render: Object.freeze({ resourceMetadata: resourceMetadata?.kind === 'url' ? resourceMetadata.url : undefined }),
    resourceMetadata,
    allowPreflight: options.allowPreflight === true,
    identityHeader,
    onError: options.onError,
    deploymentLog: resolveDeploymentLog(where, options.logger, options.onError !== undefined, now),
    observation,
    now,
  })
}
