/**
 * `caracal-fetch/mcp`: `withCaracal` for MCP servers, with requirements per tool. Built on the
 * public `withCaracal` and `getMandate`: verification, routes and refusals are theirs; this entry
 * only adds the look at a verified request's JSON-RPC body.
 */
import { withCaracal, type CaracalFetchHandler } from './with-caracal.js'
import type { CaracalOptions } from './core/options.js'
import { renderRefusal } from './core/refusal.js'
import { findMandate } from './core/request-mandate.js'
import type { CaracalError } from './errors.js'
import type { RenderOptions } from './http/respond.js'
import { DEFAULT_MAX_BODY_BYTES, inspectJsonRpc } from './mcp/json-rpc.js'
import {
  checkToolCalls,
  resolveToolRequirements,
  type ResolvedToolRequirements,
  type ToolRequirements,
} from './mcp/tool-requirements.js'
import type { Mandate } from './verify/mandate.js'
import { resolveRequirements } from './verify/requirements.js'

export type { ToolRequirements } from './mcp/tool-requirements.js'

/** Options of `withMcpCaracal`: every option of `withCaracal`, plus the MCP ones. */
export interface McpCaracalOptions extends CaracalOptions {
  /**
   * Requirements per tool name, checked for every `tools/call` (single message or batch) after the
   * mandate is verified, on top of the route's. A tool not named here needs only its route's.
   * @default {}
   */
  tools?: ToolRequirements
  /**
   * Largest request body inspected, in bytes; a longer one is answered 413 and the handler does
   * not run.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number
}

/**
 * Wraps an MCP server's Fetch handler (for instance the SDK's
 * `WebStandardStreamableHTTPServerTransport.handleRequest`) like `withCaracal`, and also holds
 * each called tool to its own requirements: a `tools/call` of a tool whose requirements the
 * mandate misses gets Caracal's 403 (`insufficient_scope` naming every scope the request needs,
 * so the MCP client's step-up asks for all of them) and the handler does not run.
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
  const { tools, maxBodyBytes = DEFAULT_MAX_BODY_BYTES, ...caracalOptions } = options
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new TypeError(`${where}: \`maxBodyBytes\` must be a positive integer`)
  }
  const toolRequirements = resolveToolRequirements(where, tools)
  const refusalFor = toolCallCheck(where, caracalOptions, toolRequirements)
  const render: RenderOptions = { resourceMetadata: caracalOptions.resourceMetadata }

  const checked = async (request: Request, ...rest: Args): Promise<Response> => {
    const mandate = findMandate(request)
    // An excluded path is served unverified, as with withCaracal; there is no mandate to hold to a tool.
    if (mandate === undefined || toolRequirements.size === 0) return handler(request, ...rest)
    let inspection
    try {
      inspection = await inspectJsonRpc(request, maxBodyBytes)
    } catch {
      // The body could not be read (the client went away mid-upload): neither can the handler.
      return plainRefusal(400, 'invalid_request', 'Request body could not be read', request.method)
    }
    if (inspection.kind === 'too-large') {
      return plainRefusal(413, 'request_too_large', `Request body exceeds ${maxBodyBytes} bytes`, request.method)
    }
    if (inspection.kind === 'encoded') {
      return plainRefusal(
        415,
        'unsupported_content_encoding',
        'Send the request body without Content-Encoding',
        request.method,
      )
    }
    if (inspection.kind === 'json-rpc') {
      const error = refusalFor(mandate, inspection.toolNames, request)
      if (error !== undefined) {
        return renderRefusal(error, request, caracalOptions.onError, render)
      }
    }
    return handler(request, ...rest)
  }
  return withCaracal(checked, caracalOptions)
}

/**
 * The one seam between a tool call and the core: which scopes the request's route already needs,
 * and the tool check on top of them. The route's scopes are the top-level `requiredScopes`.
 */
function toolCallCheck(
  where: string,
  options: CaracalOptions,
  tools: ResolvedToolRequirements,
): (mandate: Mandate, toolNames: readonly string[], request: Request) => CaracalError | undefined {
  const routeScopes = resolveRequirements(where, { requiredScopes: options.requiredScopes ?? [] }).requiredScopes
  return (mandate, toolNames) => checkToolCalls(mandate, toolNames, tools, routeScopes)
}

/** A refusal that is not a mandate's: the same JSON shape as Caracal's, no challenge. */
function plainRefusal(status: number, error: string, description: string, method: string): Response {
  const body = JSON.stringify({ error, error_description: description })
  return new Response(method === 'HEAD' ? null : body, {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  })
}
