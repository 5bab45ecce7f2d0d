/**
 * RFC 9728 protected resource metadata: either a URL the challenges point at (served elsewhere), or
 * a document the wrapper serves itself at `/.well-known/oauth-protected-resource` and at the
 * path-aware URL of the resource, built from the resource's identity (per request on Workers).
 */
import { CaracalError } from '../errors.js'
import { httpsUrlProblem } from '../http/urls.js'
import { rejectUnknownKeys } from '../option-keys.js'

/** The RFC 9728 document the wrapper serves when `resourceMetadata` is an object. */
export interface ResourceMetadataDocument {
  /**
   * `authorization_servers`: issuer URLs of the authorization servers a client may get a mandate from.
   * @default [issuer] (with `trust`, every configured issuer, each once)
   */
  authorizationServers?: readonly string[]
  /**
   * `scopes_supported`: the scopes a client may ask for.
   * @default every scope any route (and, for `withMcpCaracal`, any tool) requires
   */
  scopesSupported?: readonly string[]
  /** `resource_name`: a human-readable name of the resource. */
  resourceName?: string
  /** `resource_documentation`: a URL of documentation for developers. */
  resourceDocumentation?: string
  /** `resource_policy_uri`: a URL of the resource's data-use policy. */
  resourcePolicyUri?: string
  /** `resource_tos_uri`: a URL of the resource's terms of service. */
  resourceTosUri?: string
  /**
   * The document's cache lifetime (`Cache-Control: public, max-age=...`), in seconds.
   * @default 3600
   */
  maxAgeSeconds?: number
}

/** The well-known path of RFC 9728 section 3; the path-aware URL appends the resource's path. */
export const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource'

const DOCUMENT_KEYS = Object.keys({
  authorizationServers: true,
  scopesSupported: true,
  resourceName: true,
  resourceDocumentation: true,
  resourcePolicyUri: true,
  resourceTosUri: true,
  maxAgeSeconds: true,
} satisfies Record<keyof ResourceMetadataDocument, true>)

const URL_FIELDS = [
  ['resourceDocumentation', 'resource_documentation'],
  ['resourcePolicyUri', 'resource_policy_uri'],
  ['resourceTosUri', 'resource_tos_uri'],
] as const

/** `resourceMetadata` resolved: a URL to advertise, a document to serve, or nothing. */
export type ResourceMetadataConfig =
  | { readonly kind: 'url'; readonly url: string }
  | {
      readonly kind: 'served'
      /** The document's fields other than `resource` and, when not given, `authorization_servers`. */
      readonly fields: Readonly<Record<string, unknown>>
      readonly authorizationServers: readonly string[] | undefined
      readonly maxAgeSeconds: number
    }
  | undefined

/** What one resource identity serves and advertises. */
export interface ServedMetadata {
  /** The path-aware URL advertised as `resource_metadata` in every challenge. */
  readonly url: string
  /** The path-aware path, served besides WELL_KNOWN_PATH. */
  readonly path: string
  readonly body: string
  readonly maxAgeSeconds: number
}

// It goes verbatim into a quoted-string of `WWW-Authenticate`: printable ASCII, no quote or
// backslash (the URL parser would quietly drop a newline that the header cannot carry).
const HEADER_SAFE = /^[\x21\x23-\x5b\x5d-\x7e]+$/

function urlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a string'
  if (!HEADER_SAFE.test(value)) {
    return 'must be printable ASCII without spaces, quotes or backslashes (percent-encode the rest)'
  }
  return httpsUrlProblem(value)
}

function checkUrl(where: string, name: string, value: unknown): void {
  const problem = urlProblem(value)
  if (problem !== undefined) throw new TypeError(`${where}: \`${name}\` ${JSON.stringify(value)} ${problem}`)
}

function stringList(where: string, name: string, value: unknown, check?: (item: string) => void): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new TypeError(`${where}: \`${name}\` must be a non-empty array of non-empty strings`)
  }
  for (const item of value as string[]) check?.(item)
  return Object.freeze(value.slice() as string[])
}

/**
 * Validates `resourceMetadata` once. `routeScopes` are the default `scopes_supported`: every scope
 * a route (or a tool) requires.
 */
export function resolveResourceMetadata(
  where: string,
  option: unknown,
  routeScopes: readonly string[],
): ResourceMetadataConfig {
  if (option === undefined) return undefined
  if (typeof option === 'string') {
    checkUrl(where, 'resourceMetadata', option)
    return Object.freeze({ kind: 'url', url: option })
  }
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(
      `${where}: \`resourceMetadata\` ${JSON.stringify(option)} is not a string (a URL) or an object such as { resourceName: 'My API' }`,
    )
  }
  const at = `${where}: resourceMetadata`
  rejectUnknownKeys(at, option, DOCUMENT_KEYS)
  const given = option as ResourceMetadataDocument
  const fields: Record<string, unknown> = {}
  const servers =
    given.authorizationServers === undefined
      ? undefined
      : stringList(at, 'authorizationServers', given.authorizationServers, (url) =>
          checkUrl(at, 'authorizationServers', url),
        )
  const scopes =
    given.scopesSupported === undefined
      ? routeScopes
      : stringList(at, 'scopesSupported', given.scopesSupported, (scope) => {
          if (/\s/.test(scope)) throw new TypeError(`${at}: \`scopesSupported\` entries must have no whitespace`)
        })
  if (scopes.length > 0) fields['scopes_supported'] = scopes
  fields['bearer_methods_supported'] = ['header']
  if (given.resourceName !== undefined) {
    if (typeof given.resourceName !== 'string' || given.resourceName.length === 0) {
      throw new TypeError(`${at}: \`resourceName\` must be a non-empty string`)
    }
    fields['resource_name'] = given.resourceName
  }
  for (const [option, field] of URL_FIELDS) {
    if (given[option] === undefined) continue
    checkUrl(at, option, given[option])
    fields[field] = given[option]
  }
  const maxAgeSeconds = given.maxAgeSeconds ?? 3600
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new TypeError(`${at}: \`maxAgeSeconds\` must be an integer >= 0`)
  }
  return Object.freeze({ kind: 'served', fields: Object.freeze(fields), authorizationServers: servers, maxAgeSeconds })
}

/**
 * The document and URLs of one audience, whose mandates come from `issuers` (the default
 * `authorization_servers`). The audience is the `resource`, so it must be an https
 * URL with no query or fragment (RFC 9728 section 3.1 builds the metadata URL from it). A bad one is
 * a `TypeError` at construction when `fixed` is true, `server_misconfigured` per request otherwise.
 */
export function servedMetadataFor(
  config: Extract<ResourceMetadataConfig, { kind: 'served' }>,
  audience: string,
  issuers: readonly string[],
  fixed: boolean,
  where: string,
): ServedMetadata {
  const problem = urlProblem(audience) ?? (/[?#]/.test(audience) ? 'must have no query or fragment' : undefined)
  if (problem !== undefined) {
    const reason = `a served \`resourceMetadata\` needs the audience to be the resource's URL; audience ${JSON.stringify(audience)} ${problem}`
    if (fixed) throw new TypeError(`${where}: ${reason}`)
    throw new CaracalError('server_misconfigured', reason)
  }
  const url = new URL(audience)
  const resourcePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '')
  const path = WELL_KNOWN_PATH + resourcePath
  const document = {
    resource: audience,
    authorization_servers: config.authorizationServers ?? issuers,
    ...config.fields,
  }
  return Object.freeze({
    url: url.origin + path,
    path,
    body: JSON.stringify(document),
    maxAgeSeconds: config.maxAgeSeconds,
  })
}

/** True for a GET or HEAD of one of the two paths `served` answers on. */
export function isMetadataRequest(method: string, path: string, served: ServedMetadata): boolean {
  return (method === 'GET' || method === 'HEAD') && (path === served.path || path === WELL_KNOWN_PATH)
}

/** The metadata response: public, cacheable, readable from any origin (RFC 9728 is for clients). */
export function metadataResponse(served: ServedMetadata, method: string): Response {
  return new Response(method === 'HEAD' ? null : served.body, {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'cache-control': `public, max-age=${served.maxAgeSeconds}`,
    },
  })
}
