/** What one identity needs, built once per identity: its verifier, challenge options and served document. */
import type { RenderOptions } from '../http/respond.js'
import type { RevocationStore } from '../stores/types.js'
import { JwksCache } from '../verify/jwks.js'
import { MandateCache } from '../verify/mandate-cache.js'
import { MandateVerifier } from '../verify/verifier.js'
import { audienceFor, identityFor, type Identity, type IdentityConfig } from './identity.js'
import type { ResolvedCaracalOptions } from './options.js'
import { servedMetadataFor, type ServedMetadata } from './resource-metadata.js'
import { TrustedZones } from './trusted-zones.js'

/**
 * Verifiers kept per issuer+zone+audience when those come from each request's `env`; with `trust`,
 * zone sets kept per audience (the zones inside one set are never evicted).
 */
const MAX_VERIFIERS = 16

/**
 * What one identity needs, built once per identity: one issuer, zone and audience, or with `trust`
 * one audience and every configured pair (the served document and challenges name the audience).
 */
export interface IdentityContext {
  readonly verifier: MandateVerifier | TrustedZones
  readonly render: RenderOptions
  readonly served: ServedMetadata | undefined
}

/** An identity's context with the revocation store of one request. */
export interface RequestContext extends IdentityContext {
  readonly store: RevocationStore
}

/** Contexts built so far: per issuer+zone+audience; with `trust`, per audience. */
export type IdentityContexts = Map<string, IdentityContext>

/** Whether issuer, zone and audience (with `trust`, the audience) are all known at construction. */
export function isIdentityFixed(identity: IdentityConfig): boolean {
  return identity.trust === undefined ? identity.fixed !== undefined : identity.partial.audience !== undefined
}

/** The identity context of a request: of its issuer+zone+audience, or with `trust` of its audience. */
export function identityContextFor(
  config: ResolvedCaracalOptions,
  contexts: IdentityContexts,
  env: unknown,
): IdentityContext {
  const identity = config.identity
  if (identity.trust !== undefined) return trustContext(config, contexts, audienceFor(identity, env))
  return zoneContext(config, contexts, identityFor(identity, env))
}

function zoneContext(config: ResolvedCaracalOptions, contexts: IdentityContexts, identity: Identity): IdentityContext {
  const key = `${identity.issuer}\n${identity.zoneId}\n${identity.audience}`
  let context = contexts.get(key)
  if (context === undefined) {
    if (contexts.size >= MAX_VERIFIERS) contexts.clear()
    const verifier = newZoneVerifier(config, identity, newMandateCache(config))
    context = newIdentityContext(config, verifier, identity.audience, [identity.issuer])
    contexts.set(key, context)
  }
  return context
}

/** With `trust`: every pair for one audience (one, unless the audience comes from each request's `env`). */
function trustContext(config: ResolvedCaracalOptions, contexts: IdentityContexts, audience: string): IdentityContext {
  let context = contexts.get(audience)
  if (context === undefined) {
    if (contexts.size >= MAX_VERIFIERS) contexts.clear()
    const trust = config.identity.trust!
    const zones = new TrustedZones(trust, audience, newMandateCache(config), (identity, cache) =>
      newZoneVerifier(config, identity, cache),
    )
    context = newIdentityContext(config, zones, audience, [...new Set(trust.map(({ issuer }) => issuer))])
    contexts.set(audience, context)
  }
  return context
}

/** The served document (when `resourceMetadata` is served) and challenge options of one audience. */
function newIdentityContext(
  config: ResolvedCaracalOptions,
  verifier: MandateVerifier | TrustedZones,
  audience: string,
  issuers: readonly string[],
): IdentityContext {
  const { resourceMetadata, where } = config
  const served =
    resourceMetadata?.kind === 'served'
      ? servedMetadataFor(resourceMetadata, audience, issuers, isIdentityFixed(config.identity), where)
      : undefined
  return {
    verifier,
    render: served === undefined ? config.render : Object.freeze({ resourceMetadata: served.url }),
    served,
  }
}

function newMandateCache(config: ResolvedCaracalOptions): MandateCache | undefined {
  const { mandateCache } = config
  return mandateCache === false ? undefined : new MandateCache(mandateCache)
}

/** The verifier of one issuer+zone: its own JWKS cache, caching verified mandates into `cache`. */
function newZoneVerifier(
  config: ResolvedCaracalOptions,
  identity: Identity,
  cache: MandateCache | undefined,
): MandateVerifier {
  const { jwks, identity: identityConfig, now, observation } = config
  const wrapJwksFetch = observation?.telemetry?.wrapJwksFetch
  const keys = new JwksCache({
    issuer: identity.issuer,
    zoneId: identity.zoneId,
    ...jwks,
    fetch:
      wrapJwksFetch === undefined || jwks.staticJwks !== undefined
        ? jwks.fetch
        : wrapJwksFetch.call(observation!.telemetry, jwks.fetch ?? ((input, init) => fetch(input, init))),
    // On Workers a pending fetch belongs to the request that started it.
    shareInflight: !identityConfig.perRequestEnv,
    now,
  })
  return new MandateVerifier(identity, keys, cache)
}
