/**
 * `caracal-fetch/mcp`: `withCaracal` for MCP servers, with requirements per tool. The core
 * authenticates (routes, refusals, the served RFC 9728 document are its own); this entry only adds
 * the look at a verified request's JSON-RPC body.
 */
import { Authenticator } from './core/authenticator.js'
import type { CaracalOptions } from './core/options.js'
import { findMandate } from './core/request-mandate.js'
import { toolGate, type McpToolOptions } from './mcp/tool-gate.js'
import { wrapWithAuthenticator, type CaracalFetchHandler } from './with-caracal.js'

export type { ToolRequirements } from './mcp/tool-requirements.js'
export type { McpToolOptions } from './mcp/tool-gate.js'

/** Options of `withMcpCaracal`: every option of `withCaracal`, plus the MCP ones. */
export interface McpCaracalOptions extends CaracalOptions, McpToolOptions {}

/**
 * Wraps an MCP server's Fetch handler (for instance the SDK's
 * `WebStandardStreamableHTTPServerTransport.handleRequest`) like `withCaracal`, and also holds
 * each called tool to its own requirements: a `tools/call` of a tool whose requirements the
 * mandate misses gets Caracal's 403 (`insufficient_scope` naming every scope the request needs,
 * its route's and its tools', so the MCP client's step-up asks for all of them) and the handler
 * does not run. With a served `resourceMetadata`, the tools' scopes join `scopes_supported`.
 *
 * The handler receives the very same `Request`, its body unread. A body that is not JSON-RPC goes
 * to the handler unchanged; a body over `maxBodyBytes` is answered 413, and a body with a
 * `Content-Encoding` (which could hide a tool call from the check) 415.
 *
 * @example
 * ```ts
 * import { withMcpCaracal } from 'caracal-fetch/mcp'
 *
 * export default {
 *   fetch: withMcpCaracal((request) => transport.handleRequest(request), {
 *     audience: 'https://mcp.example.com/mcp',
 *     revocations,
 *     requiredScopes: ['mcp:tools'],
 *     tools: { admin_reset: { requiredScopes: ['mcp:admin'] } },
 *     resourceMetadata: { resourceName: 'Billing MCP' },
 *   }),
 * }
 * ```
 */
export function withMcpCaracal<Args extends unknown[]>(
  handler: (request: Request, ...rest: Args) => Response | Promise<Response>,
  options: McpCaracalOptions,
): CaracalFetchHandler<Args> {
  const where = 'withMcpCaracal'
  if (typeof handler !== 'function')
    throw new TypeError(`${where}: the first argument must be a fetch handler function`)
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options are required, e.g. { audience: 'https://mcp.example.com/mcp', revocations }`)
  }
  const { tools, maxBodyBytes, ...caracalOptions } = options
  const { gate, scopes } = toolGate(where, options)
  const auth = new Authenticator(where, caracalOptions, scopes)
  if (gate === undefined) return wrapWithAuthenticator(handler, auth)

  const checked = async (request: Request, ...rest: Args): Promise<Response> => {
    const mandate = findMandate(request)
    // An excluded path is served unverified, as with withCaracal; there is no mandate to hold to a tool.
    const routeChecks = mandate === undefined ? undefined : auth.checksFor(request)
    if (mandate === undefined || routeChecks === undefined) return handler(request, ...rest)
    const refusal = await gate(request, mandate, routeChecks, (error) => auth.refuse(error, request, rest[0]))
    return refusal ?? handler(request, ...rest)
  }
  return wrapWithAuthenticator(checked, auth)
}
