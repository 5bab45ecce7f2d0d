/**
 * Which requirements a request must meet, by path: `routes` (longest prefix wins) and `exclude`,
 * matched on every spelling of the path the router behind us may see.
 */
import { rejectUnknownKeys } from '../option-keys.js'
import {
  REQUIREMENT_KEYS,
  resolveRequirements,
  type Requirements,
  type ResolvedRequirements,
} from '../verify/requirements.js'

/** One `routes` entry (or the defaults, under `/`), resolved. */
export interface Route {
  readonly prefix: string
  readonly requirements: ResolvedRequirements
  /** `[requirements]`, built once: what a request with one spelling of its path must meet. */
  readonly checks: readonly ResolvedRequirements[]
}

/** The resolved `routes`, `exclude` and default requirements. */
export interface RouteTable {
  readonly defaults: Route
  /** Longest prefix first. */
  readonly routes: readonly Route[]
  readonly exclude: readonly string[]
}

function route(prefix: string, requirements: ResolvedRequirements): Route {
  return Object.freeze({ prefix, requirements, checks: Object.freeze([requirements]) })
}

function normalisePrefix(where: string, name: string, prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
    throw new TypeError(
      `${where}: every \`${name}\` entry must be a path starting with "/", got ${JSON.stringify(prefix)}`,
    )
  }
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') || '/' : prefix
}

/** Validates the default requirements, `routes` and `exclude` once, at construction. */
export function resolveRouteTable(
  where: string,
  defaults: Requirements,
  routes: Readonly<Record<string, Requirements>> | undefined,
  exclude: readonly string[] | undefined,
): RouteTable {
  const base = resolveRequirements(where, defaults)
  const resolved: Route[] = []
  for (const [prefix, overrides] of Object.entries(routes ?? {})) {
    const at = `${where}: routes[${JSON.stringify(prefix)}]`
    if (typeof overrides !== 'object' || overrides === null) {
      throw new TypeError(`${at} must be an object of requirements`)
    }
    rejectUnknownKeys(at, overrides, REQUIREMENT_KEYS)
    resolved.push(route(normalisePrefix(where, 'routes', prefix), resolveRequirements(at, overrides, base)))
  }
  if (exclude !== undefined && !Array.isArray(exclude)) {
    throw new TypeError(`${where}: \`exclude\` must be an array of path prefixes`)
  }
  return Object.freeze({
    defaults: route('/', base),
    routes: Object.freeze(resolved.sort((a, b) => b.prefix.length - a.prefix.length)),
    exclude: Object.freeze((exclude ?? []).map((p) => normalisePrefix(where, 'exclude', p))),
  })
}

function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47) /* / */
}

/** The path of a request URL without building a URL object (this runs per request). */
export function pathOf(url: string): string {
  const scheme = url.indexOf('://')
  const start = url.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  if (start === -1) return '/'
  let end = url.length
  const q = url.indexOf('?', start)
  if (q !== -1) end = q
  const h = url.indexOf('#', start)
  if (h !== -1 && h < end) end = h
  return url.slice(start, end)
}

const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g
const ASCII_ESCAPE = /%[0-7][0-9A-Fa-f]/g

/**
 * Decodes each run of percent-escapes on its own; a run that is not UTF-8 keeps its escapes as
 * sent except the ASCII ones. One bad escape (`%ZZ`, `%C0`) leaves the rest of the path decoded, as
 * routers that decode leniently (Hono) see it.
 */
function decodeRuns(path: string, decode: (escaped: string) => string): string {
  return path.replace(ESCAPE_RUN, (run) => {
    try {
      return decode(run)
    } catch {
      return run.replace(ASCII_ESCAPE, (escape) => decode(escape))
    }
  })
}

/**
 * The spellings of a path that the router behind us may match on: as sent, decoded the way
 * decodeURI does (reserved characters such as `%2F` stay encoded) and the way decodeURIComponent
 * does. Without a `%` there is only one.
 */
function spellingsOf(path: string): readonly string[] {
  const spellings = [path]
  if (!path.includes('%')) return spellings
  for (const decoded of [decodeRuns(path, decodeURI), decodeRuns(path, decodeURIComponent)]) {
    if (!spellings.includes(decoded)) spellings.push(decoded)
  }
  return spellings
}

/** The route of one spelling of a path: the longest matching `routes` prefix, else the defaults. */
function routeOf(table: RouteTable, path: string): Route {
  for (const r of table.routes) if (matchesPrefix(path, r.prefix)) return r
  return table.defaults
}

/**
 * What a request to `path` must meet, or undefined when it is excluded. Every spelling of the
 * path counts: it is excluded only when all of them are (an encoded path must not slip past
 * verification), and it must meet the routes of all of them (the router behind us may decode
 * differently, so `/%61dmin/x%ZZ` is held to `/admin`'s requirements).
 */
export function checksFor(table: RouteTable, path: string): readonly ResolvedRequirements[] | undefined {
  const spellings = spellingsOf(path)
  const excluded = (spelling: string): boolean => table.exclude.some((prefix) => matchesPrefix(spelling, prefix))
  if (table.exclude.length > 0 && spellings.every(excluded)) return undefined
  if (spellings.length === 1) return routeOf(table, path).checks
  const routes = new Set(spellings.map((spelling) => routeOf(table, spelling)))
  if (routes.size === 1) return routes.values().next().value!.checks
  return [...routes].map((r) => r.requirements)
}

/** Every scope any route requires, defaults first: the default `scopes_supported` of the metadata. */
export function scopesOfRoutes(table: RouteTable): readonly string[] {
  const scopes = new Set(table.defaults.requirements.requiredScopes)
  for (const r of table.routes) for (const scope of r.requirements.requiredScopes) scopes.add(scope)
  return [...scopes]
}

/** Every scope the checks of one request require, in order, each once. */
export function scopesOfChecks(checks: readonly ResolvedRequirements[]): readonly string[] {
  if (checks.length === 1) return checks[0]!.requiredScopes
  const scopes = new Set<string>()
  for (const check of checks) for (const scope of check.requiredScopes) scopes.add(scope)
  return [...scopes]
}
