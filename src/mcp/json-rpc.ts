/**
 * Reads which MCP tools a request calls, without consuming the body its handler will read: a
 * bounded read of a clone, parsed as one JSON-RPC message or a batch. Anything that is not JSON-RPC
 * is reported as such, so the MCP server behind the wrapper answers it as it would without us.
 */
import { readBounded } from '../http/read-bounded.js'

/** What the body of a request came to. */
export type JsonRpcInspection =
  /** JSON-RPC: the `params.name` of every `tools/call` message, in order (repeats kept). */
  | { readonly kind: 'json-rpc'; readonly toolNames: readonly string[] }
  /** No body, or a body that is not a JSON-RPC message or batch: nothing to check. */
  | { readonly kind: 'not-json-rpc' }
  /** The body is longer than the bound: answer 413 without reading the rest. */
  | { readonly kind: 'too-large' }
  /**
   * The body has a `Content-Encoding` (gzip, ...): its tool calls cannot be read without decoding
   * it, and a layer behind the wrapper that decodes would run calls nobody checked. Answer 415.
   */
  | { readonly kind: 'encoded' }

const NOT_JSON_RPC: JsonRpcInspection = Object.freeze({ kind: 'not-json-rpc' })
const TOO_LARGE: JsonRpcInspection = Object.freeze({ kind: 'too-large' })
const ENCODED: JsonRpcInspection = Object.freeze({ kind: 'encoded' })

/** @default 1 MiB: an MCP message is small; a larger body is refused before it is buffered. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * Inspects the JSON-RPC body of `request` by reading a clone of it, at most `maxBytes` bytes.
 * `request.body` itself stays unread, for the handler. A declared `Content-Length` over the bound
 * is `too-large`, and a `Content-Encoding` other than `identity` is `encoded`, without reading anything.
 */
export async function inspectJsonRpc(
  request: Request,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<JsonRpcInspection> {
  if (request.body === null) return NOT_JSON_RPC
  const encoding = request.headers.get('content-encoding')
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return ENCODED
  const declared = request.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) return TOO_LARGE
  const bytes = await readBounded(request.clone().body, maxBytes)
  if (bytes === undefined) return TOO_LARGE
  let parsed: unknown
  try {
    // The same decoding as `Request.json()`, which MCP servers use: UTF-8, a leading BOM dropped.
    parsed = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return NOT_JSON_RPC
  }
  return toolCallsOf(parsed)
}

/**
 * The names of the tools a parsed JSON-RPC message or batch calls. Every element of a batch that
 * calls `tools/call` counts, even beside elements that are not JSON-RPC (a lenient server may still
 * run it). `not-json-rpc` when no element is a JSON-RPC message: an object with a string `method`,
 * or a response (`result` or `error`).
 */
export function toolCallsOf(parsed: unknown): JsonRpcInspection {
  const messages: readonly unknown[] = Array.isArray(parsed) ? parsed : [parsed]
  const toolNames: string[] = []
  let anyMessage = false
  for (const message of messages) {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) continue
    const { method, params } = message as { method?: unknown; params?: unknown }
    if (typeof method !== 'string') {
      if ('result' in message || 'error' in message) anyMessage = true
      continue
    }
    anyMessage = true
    if (method !== 'tools/call') continue
    // A call without a string name names no tool: the MCP server refuses it as invalid params.
    const name = (params as { name?: unknown } | null | undefined)?.name
    if (typeof name === 'string') toolNames.push(name)
  }
  return anyMessage ? { kind: 'json-rpc', toolNames } : NOT_JSON_RPC
}
