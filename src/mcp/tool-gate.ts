/**
 * The per-tool check of a verified request, shared by `withMcpCaracal` and the Hono `mcpTools()`
 * middleware: read the JSON-RPC body (bounded, from a clone), hold every called tool to its
 * requirements on top of the route's, and say what to answer instead of the handler, if anything.
 */
import type { CaracalError } from '../errors.js'
import type { Mandate } from '../verify/mandate.js'
import type { ResolvedRequirements } from '../verify/requirements.js'
import { DEFAULT_MAX_BODY_BYTES, inspectJsonRpc } from './json-rpc.js'
import { checkToolCalls, resolveToolRequirements } from './tool-requirements.js'
import type { ToolRequirements } from './tool-requirements.js'

/** The MCP options `withMcpCaracal` and `mcpTools()` share. */
export interface McpToolOptions {
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
 * Checks one verified request; resolves to the response to send instead of the handler's, or
 * undefined. `refuse` renders a mandate's refusal as the adapter's core does (challenge, `onError`).
 */
export type ToolGate = (
  request: Request,
  mandate: Mandate,
  routeChecks: readonly ResolvedRequirements[],
  refuse: (error: CaracalError) => Response,
) => Promise<Response | undefined>

/** Validates the MCP options once and builds the gate. `undefined` when no tool has requirements. */
export function toolGate(where: string, options: McpToolOptions): { gate: ToolGate | undefined; scopes: string[] } {
  const { tools, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new TypeError(`${where}: \`maxBodyBytes\` must be a positive integer`)
  }
  const requirements = resolveToolRequirements(where, tools)
  const scopes = new Set<string>()
  for (const tool of requirements.values()) for (const scope of tool.requirements.requiredScopes) scopes.add(scope)
  if (requirements.size === 0) return { gate: undefined, scopes: [] }

  const gate: ToolGate = async (request, mandate, routeChecks, refuse) => {
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
    if (inspection.kind !== 'json-rpc') return undefined
    const routeScopes = new Set<string>()
    for (const check of routeChecks) for (const scope of check.requiredScopes) routeScopes.add(scope)
    const error = checkToolCalls(mandate, inspection.toolNames, requirements, [...routeScopes])
    return error === undefined ? undefined : refuse(error)
  }
  return { gate, scopes: [...scopes] }
}

/** A refusal that is not a mandate's: the same JSON shape as Caracal's, no challenge. */
function plainRefusal(status: number, error: string, description: string, method: string): Response {
  const body = JSON.stringify({ error, error_description: description })
  return new Response(method === 'HEAD' ? null : body, {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  })
}
