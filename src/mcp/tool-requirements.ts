/**
 * Per-tool requirements of an MCP server: every tool shares one URL, so a route cannot say what one
 * tool needs. Validated once at construction; checked against a verified mandate per tool call.
 */
import { CaracalError, isCaracalError } from '../errors.js'
import { rejectUnknownKeys } from '../option-keys.js'
import type { Mandate } from '../verify/mandate.js'
import {
  DEFAULT_REQUIREMENTS,
  checkRequirements,
  resolveRequirements,
  type Requirements,
  type ResolvedRequirements,
} from '../verify/requirements.js'

/** The requirements of each tool, by the name a `tools/call` gives in `params.name`. */
export type ToolRequirements = Readonly<Record<string, Requirements>>

interface ResolvedTool {
  readonly requirements: ResolvedRequirements
  /** Whether the tool names `requiredUse`; otherwise the use the route accepted stands. */
  readonly checksUse: boolean
}

/** Validated tool requirements, by tool name. */
export type ResolvedToolRequirements = ReadonlyMap<string, ResolvedTool>

const REQUIREMENT_KEYS = Object.keys(DEFAULT_REQUIREMENTS)

// A tool adds to its route's requirements: what it does not name is not checked again (any hop
// count here; the route's own maxHopCount still applies).
const NOTHING_REQUIRED: ResolvedRequirements = Object.freeze({
  ...DEFAULT_REQUIREMENTS,
  maxHopCount: Number.POSITIVE_INFINITY,
})

/** Validates `tools` at construction: an object of requirement objects with known keys only. */
export function resolveToolRequirements(where: string, tools: unknown): ResolvedToolRequirements {
  const resolved = new Map<string, ResolvedTool>()
  if (tools === undefined) return resolved
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    throw new TypeError(`${where}: \`tools\` must be an object of requirements by tool name`)
  }
  for (const [name, requirements] of Object.entries(tools)) {
    const at = `${where}: tools[${JSON.stringify(name)}]`
    if (typeof requirements !== 'object' || requirements === null || Array.isArray(requirements)) {
      throw new TypeError(`${at} must be an object of requirements, e.g. { requiredScopes: ['mcp:admin'] }`)
    }
    rejectUnknownKeys(at, requirements, REQUIREMENT_KEYS)
    resolved.set(name, {
      requirements: resolveRequirements(at, requirements as Requirements, NOTHING_REQUIRED),
      checksUse: (requirements as Requirements).requiredUse !== undefined,
    })
  }
  return resolved
}

/**
 * Checks the mandate against the requirements of every tool in `toolNames` (a tool with none
 * configured needs only its route's). Returns the first refusal, or undefined when all are met.
 * An `insufficient_scope` refusal names, as the scopes required, every scope the request needs:
 * `routeScopes` and those of every called tool, because a client asks for exactly the challenged
 * scopes and a narrower list would get it a mandate that is refused again.
 */
export function checkToolCalls(
  mandate: Mandate,
  toolNames: readonly string[],
  tools: ResolvedToolRequirements,
  routeScopes: readonly string[],
): CaracalError | undefined {
  const called: ResolvedTool[] = []
  for (const name of toolNames) {
    const tool = tools.get(name)
    if (tool !== undefined && !called.includes(tool)) called.push(tool)
  }
  if (called.length === 0) return undefined
  const needed = new Set(routeScopes)
  for (const tool of called) for (const scope of tool.requirements.requiredScopes) needed.add(scope)
  const requiredScopes = [...needed]
  for (const tool of called) {
    try {
      checkRequirements(
        mandate,
        tool.checksUse ? tool.requirements : { ...tool.requirements, requiredUse: mandate.use },
      )
    } catch (error) {
      if (!isCaracalError(error)) throw error
      if (error.code !== 'insufficient_scope') return error
      const missing = requiredScopes.filter((scope) => !mandate.scopes.includes(scope))
      return new CaracalError('insufficient_scope', `${error.reason} (tool call)`, {
        requiredScopes,
        missingScopes: missing,
      })
    }
  }
  return undefined
}
