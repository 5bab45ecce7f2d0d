/** The requests answered before any token: a served RFC 9728 document, an allowed CORS preflight. */
import { isCorsPreflight } from '../http/preflight.js'
import { EXCLUDED, refusedOutcome, type AuthOutcome, type PipelineParts } from './auth-outcome.js'
import type { ResolvedCaracalOptions } from './options.js'
import { WELL_KNOWN_PATH, isMetadataRequest, metadataResponse } from './resource-metadata.js'
import { pathOf } from './routes.js'

/** Whether some requests are answered before any token: a served document, allowed preflights. */
export function answersEarly(config: ResolvedCaracalOptions): boolean {
  return config.allowPreflight || config.resourceMetadata?.kind === 'served'
}

/** The served document, or the pass of an allowed preflight; undefined for everything else. */
export function answerEarly(request: Request, env: unknown, parts: PipelineParts): AuthOutcome | undefined {
  const { config } = parts
  if (config.allowPreflight && isCorsPreflight(request, config.identityHeader)) return EXCLUDED
  if (config.resourceMetadata?.kind !== 'served') return undefined
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined
  const path = pathOf(request.url)
  if (!path.startsWith(WELL_KNOWN_PATH)) return undefined
  try {
    // The identity only: a revocation store (perhaps built from env) has no part in the document.
    const served = parts.identityContextFor(env).served!
    if (!isMetadataRequest(request.method, path, served)) return undefined
    return { kind: 'answered', response: metadataResponse(served, request.method) }
  } catch (caught) {
    return refusedOutcome(config, caught, request, config.render, parts.defaultChecks)
  }
}
