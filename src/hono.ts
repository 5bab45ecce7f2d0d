/**
 * Hono middleware: the same verifier as `withCaracal` (one `Authenticator`, the same options, the
 * same responses), with the verified mandate as a typed context variable.
 *
 * A refusal is thrown as Hono's `HTTPException` carrying the prepared response, so `app.onError`
 * sees it and Hono's default handler sends that response unchanged. `hono/http-exception` is the
 * only Hono code this entry imports; `hono` is an optional peer dependency reached only through
 * `caracal-fetch/hono`.
 */
import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { Authenticator } from './core/authenticator.js'
import type { CaracalOptions } from './core/options.js'
import { attachMandate, findMandate } from './core/request-mandate.js'
import { CaracalError, isCaracalError } from './errors.js'
import { errorResponse } from './http/respond.js'
import { rejectUnknownKeys } from './option-keys.js'
import { toolGate, type McpToolOptions } from './mcp/tool-gate.js'
import type { Mandate } from './verify/mandate.js'
import {
  DEFAULT_REQUIREMENTS,
  REQUIREMENT_KEYS,
  checkRequirements,
  resolveRequirements,
  type Requirements,
  type ResolvedRequirements,
} from './verify/requirements.js'

// As hono/jwt does for `jwtPayload`: importing this entry types `c.var.caracal` and
// `c.get('caracal')` in every app, a plain `new Hono()` included.
declare module 'hono' {
  interface ContextVariableMap {
    caracal: Mandate
  }
}

/**
 * The context variables `caracal()` sets: `c.get('caracal')` / `c.var.caracal` is the verified
 * mandate. Importing `caracal-fetch/hono` already types them in a plain `new Hono()`; this type
 * stays for apps that spell their `Variables` out.
 *
 * @example
 * ```ts
 * const app = new Hono<{ Variables: CaracalVariables & { requestId: string } }>()
 * app.use('/api/*', caracal({ audience: 'resource://billing-api', revocations }))
 * app.get('/api/me', (c) => c.json({ sub: c.var.caracal.sub }))
 * ```
 */
export type CaracalVariables = { caracal: Mandate }

/** The Hono `Env` of the middleware: `new Hono<CaracalEnv>()` is `new Hono<{ Variables: CaracalVariables }>()`. */
export type CaracalEnv = { Variables: CaracalVariables }

export type { McpToolOptions } from './mcp/tool-gate.js'
export type { ToolRequirements } from './mcp/tool-requirements.js'

// Spelled through the constructor: the name of Hono's status type changed within Hono 4.
type RefusalStatus = NonNullable<ConstructorParameters<typeof HTTPException>[0]>

/**
 * A refusal as Hono expects it: thrown, so `app.onError` sees it (`err instanceof HTTPException`,
 * `err.getResponse()`), and sent unchanged by Hono's default error handler.
 */
function refusalException(response: Response, message: string): HTTPException {
  return new HTTPException(response.status as RefusalStatus, { res: response, message })
}

// Which caracal() verified a request, so a per-route middleware renders and reports its refusals
// through the same Authenticator. Keyed by the raw Request, like the mandate registry.
const verifiedBy = new WeakMap<Request, Authenticator>()

/**
 * Verifies the Caracal mandate of every request it sees, with the options of `withCaracal`
 * (`routes` and `exclude` included). A refused request gets Caracal's 401/403/503 and the chain
 * stops: the response is thrown as an `HTTPException` (`err.getResponse()` is it), so an
 * `app.onError` sees it, and without one Hono sends it as it is. An excluded path goes on
 * unverified; a verified one goes on with `c.var.caracal` set (and `getMandate(c.req.raw)`
 * working). The Workers `env` is `c.env`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { MemoryRevocationStore } from 'caracal-fetch'
 * import { caracal, requireScopes } from 'caracal-fetch/hono'
 *
 * const app = new Hono()
 * app.use('*', caracal({ audience: 'resource://billing-api', revocations: new MemoryRevocationStore(), exclude: ['/healthz'] }))
 * app.get('/invoices', requireScopes('billing:read'), (c) => c.json({ sub: c.var.caracal.sub }))
 * ```
 */
export function caracal(options: CaracalOptions): MiddlewareHandler<CaracalEnv> {
  const auth = new Authenticator('caracal', options)
  return async (c, next) => {
    const request = c.req.raw
    const outcome = await auth.authenticate(request, c.env)
    if (outcome.kind === 'answered') return outcome.response
    if (outcome.kind === 'refused') throw refusalException(outcome.response, outcome.error.code)
    if (outcome.kind === 'verified') {
      attachMandate(request, outcome, auth, c.env)
      verifiedBy.set(request, auth)
      c.set('caracal', outcome.mandate)
    }
    await next()
  }
}

/**
 * Per-route requirements on top of `caracal()`: checks the mandate `caracal()` already verified
 * (no second verification, no second revocation lookup) and refuses exactly as `withCaracal` with
 * the same `routes` entry would (403 `insufficient_scope` with the required scope in
 * `WWW-Authenticate`, and so on), reporting to the `onError` of that `caracal()`. Refusals are
 * thrown as `HTTPException`, as `caracal()` throws them.
 *
 * Only the requirements named here are checked; `requiredUse` and `maxHopCount` stay as
 * `caracal()` checked them unless named.
 *
 * A request that no `caracal()` verified (none ran before this middleware, or its path is in
 * `exclude`) is a wiring mistake, not the client's: it gets 500 `server_misconfigured`, so the route
 * stays closed and no agent is told to fetch a new mandate.
 *
 * @example
 * ```ts
 * app.post('/payouts', requireMandate({ requiredScopes: ['billing:payout'], requireDelegation: true }), handler)
 * ```
 */
export function requireMandate(requirements: Requirements): MiddlewareHandler<CaracalEnv> {
  return requirementMiddleware('requireMandate', requirements)
}

/**
 * `requireMandate({ requiredScopes: scopes })`: every scope must be granted by the verified mandate.
 *
 * @example
 * ```ts
 * app.get('/invoices', requireScopes('billing:read'), (c) => c.json({ sub: c.var.caracal.sub }))
 * ```
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler<CaracalEnv> {
  if (scopes.length === 0)
    throw new TypeError("requireScopes: pass at least one scope, e.g. requireScopes('billing:read')")
  return requirementMiddleware('requireScopes', { requiredScopes: scopes })
}

// Neutral where a requirement is not named: any hop count, and `use` is compared with itself.
const NOTHING_REQUIRED: ResolvedRequirements = Object.freeze({
  ...DEFAULT_REQUIREMENTS,
  maxHopCount: Number.POSITIVE_INFINITY,
})

function requirementMiddleware(where: string, requirements: Requirements): MiddlewareHandler<CaracalEnv> {
  if (typeof requirements !== 'object' || requirements === null) {
    throw new TypeError(`${where}: pass an object of requirements, e.g. { requiredScopes: ['billing:read'] }`)
  }
  rejectUnknownKeys(where, requirements, REQUIREMENT_KEYS)
  const named = Object.keys(requirements).filter((k) => (requirements as Record<string, unknown>)[k] !== undefined)
  if (named.length === 0) throw new TypeError(`${where}: names no requirement; pass e.g. { requiredScopes: [...] }`)
  const resolved = resolveRequirements(where, requirements, NOTHING_REQUIRED)
  const checksUse = requirements.requiredUse !== undefined

  return async (c, next) => {
    const request = c.req.raw
    // Our own records, not c.var: any middleware can set a context variable.
    const auth = verifiedBy.get(request)
    const mandate = auth === undefined ? undefined : findMandate(request)
    if (auth === undefined || mandate === undefined) {
      throw refusalException(unverified(where, request), 'server_misconfigured')
    }
    try {
      checkRequirements(mandate, checksUse ? resolved : { ...resolved, requiredUse: mandate.use })
    } catch (error) {
      if (!isCaracalError(error)) throw error
      throw refusalException(auth.refuse(error, request, c.env), error.code)
    }
    await next()
  }
}

/**
 * Per-tool requirements for an MCP server behind `caracal()`, as `withMcpCaracal` checks them:
 * a `tools/call` (single message or batch) of a tool whose requirements the verified mandate misses
 * gets Caracal's 403, whose `scope` names the route's scopes (those `caracal()` checked) and the
 * called tools'. Bodies over `maxBodyBytes` are 413, encoded ones 415; a body that is not JSON-RPC
 * goes on unchanged, and the handler can still read the body. Put it after `caracal()` on the MCP
 * route; a request `caracal()` did not verify is 500 `server_misconfigured`, as for `requireMandate`.
 *
 * @example
 * ```ts
 * app.use('*', caracal({ audience: 'https://mcp.example.com/mcp', revocations, requiredScopes: ['mcp:tools'] }))
 * app.all('/mcp', mcpTools({ tools: { admin_reset: { requiredScopes: ['mcp:admin'] } } }), (c) =>
 *   transport.handleRequest(c.req.raw),
 * )
 * ```
 */
export function mcpTools(options: McpToolOptions): MiddlewareHandler<CaracalEnv> {
  const where = 'mcpTools'
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: pass { tools: { name: { requiredScopes: [...] } } }`)
  }
  rejectUnknownKeys(where, options, MCP_TOOL_KEYS)
  const { gate } = toolGate(where, options)
  if (gate === undefined)
    throw new TypeError(
      `${where}: \`tools\` names no tool; pass e.g. { tools: { admin_reset: { requiredScopes: ['mcp:admin'] } } }`,
    )
  return async (c, next) => {
    const request = c.req.raw
    const auth = verifiedBy.get(request)
    const mandate = auth === undefined ? undefined : findMandate(request)
    const routeChecks = auth?.checksFor(request)
    if (auth === undefined || mandate === undefined || routeChecks === undefined) {
      throw refusalException(unverified(where, request), 'server_misconfigured')
    }
    const refusal = await gate(request, mandate, routeChecks, (error) => auth.refuse(error, request, c.env))
    if (refusal !== undefined) throw refusalException(refusal, 'refused')
    await next()
  }
}

const MCP_TOOL_KEYS = Object.keys({ tools: true, maxBodyBytes: true } satisfies Record<keyof McpToolOptions, true>)

/** A per-route middleware on a request no caracal() verified: the wiring's fault, the route stays closed. */
function unverified(where: string, request: Request): Response {
  const error = new CaracalError('server_misconfigured', `${where} ran on a request no caracal() middleware verified`)
  return errorResponse(error, request.method, { resourceMetadata: undefined })
}
