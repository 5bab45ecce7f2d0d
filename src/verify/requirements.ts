/** Route requirements: what a route demands of a verified mandate, validated once and checked per request. */
import { CaracalError } from '../errors.js'
import type { Mandate, MandateUse } from './mandate.js'

/** What a route demands of a verified mandate. Every field can be overridden per route. */
export interface Requirements {
  /**
   * Scopes that must all appear in the mandate's `scope` (exact, whitespace-delimited tokens).
   * @default []
   */
  requiredScopes?: readonly string[]
  /**
   * Resource targets that must all appear in the mandate's `target` array.
   * @default []
   */
  requiredTargets?: readonly string[]
  /**
   * Require an agent mandate (an `agent_session_id` claim).
   * @default false
   */
  requireAgent?: boolean
  /**
   * Require delegated authority (a `delegation_edge_id` claim).
   * @default false
   */
  requireDelegation?: boolean
  /**
   * Application ids that must each appear as `application_id` in the mandate's `delegation_chain`.
   * @default []
   */
  requireChainContains?: string | readonly string[]
  /**
   * Highest accepted `hop_count`.
   * @default 10
   */
  maxHopCount?: number
  /**
   * The `use` the mandate must carry.
   * @default 'resource'
   */
  requiredUse?: MandateUse
}

/** Requirements with every default applied and every value validated. */
export interface ResolvedRequirements {
  readonly requiredScopes: readonly string[]
  readonly requiredTargets: readonly string[]
  readonly requireAgent: boolean
  readonly requireDelegation: boolean
  readonly requireChainContains: readonly string[]
  readonly maxHopCount: number
  readonly requiredUse: MandateUse
}

export const DEFAULT_REQUIREMENTS: ResolvedRequirements = Object.freeze({
  requiredScopes: Object.freeze([]),
  requiredTargets: Object.freeze([]),
  requireAgent: false,
  requireDelegation: false,
  requireChainContains: Object.freeze([]),
  maxHopCount: 10,
  requiredUse: 'resource',
})

/** The option names of `Requirements`, for unknown-key checks. */
export const REQUIREMENT_KEYS = Object.keys(DEFAULT_REQUIREMENTS) as readonly (keyof Requirements)[]

// Whitespace to any of Caracal's verifiers (JavaScript's `\s`, plus U+001C..U+001F and U+0085, which
// Python or Go split on): a required scope holding one could match here and never there.
const ANY_WHITESPACE = /[\s\x1c-\x1f\x85]/

function stringList(where: string, name: string, value: unknown): readonly string[] {
  const list = typeof value === 'string' ? [value] : value
  const blank = name === 'requiredScopes' ? ANY_WHITESPACE : /\s/
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s.length > 0 && !blank.test(s))) {
    throw new TypeError(`${where}: \`${name}\` must be an array of non-empty strings without whitespace`)
  }
  return Object.freeze(list.slice())
}

function bool(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${where}: \`${name}\` must be true or false`)
  return value
}

/** Validates `overrides` once, at construction, and layers them over `base`. */
export function resolveRequirements(
  where: string,
  overrides: Requirements,
  base: ResolvedRequirements = DEFAULT_REQUIREMENTS,
): ResolvedRequirements {
  const out = { ...base }
  const given = overrides as Record<string, unknown>
  if (given['requiredScopes'] !== undefined)
    out.requiredScopes = stringList(where, 'requiredScopes', given['requiredScopes'])
  if (given['requiredTargets'] !== undefined) {
    out.requiredTargets = stringList(where, 'requiredTargets', given['requiredTargets'])
  }
  if (given['requireAgent'] !== undefined) out.requireAgent = bool(where, 'requireAgent', given['requireAgent'])
  if (given['requireDelegation'] !== undefined) {
    out.requireDelegation = bool(where, 'requireDelegation', given['requireDelegation'])
  }
  if (given['requireChainContains'] !== undefined) {
    out.requireChainContains = stringList(where, 'requireChainContains', given['requireChainContains'])
  }
  if (given['maxHopCount'] !== undefined) {
    const max = given['maxHopCount']
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0) {
      throw new TypeError(`${where}: \`maxHopCount\` must be an integer >= 0`)
    }
    out.maxHopCount = max
  }
  if (given['requiredUse'] !== undefined) {
    const use = given['requiredUse']
    if (use !== 'resource' && use !== 'session' && use !== 'gateway') {
      throw new TypeError(`${where}: \`requiredUse\` must be 'resource', 'session' or 'gateway'`)
    }
    out.requiredUse = use
  }
  return Object.freeze(out)
}

/** Picks the requirement options out of a larger options object. */
export function pickRequirements(options: object): Requirements {
  const picked: Record<string, unknown> = {}
  for (const key of REQUIREMENT_KEYS) {
    const value = (options as Record<string, unknown>)[key]
    if (value !== undefined) picked[key] = value
  }
  return picked as Requirements
}

/**
 * Checks a verified mandate against a route's requirements, in Caracal's order: use, scopes,
 * targets, agent, delegation, hop count, chain. Throws the first failure.
 */
export function checkRequirements(mandate: Mandate, req: ResolvedRequirements): void {
  if (mandate.use !== req.requiredUse) {
    throw new CaracalError(
      'invalid_token',
      `claim \`use\` is "${mandate.use}", this route requires "${req.requiredUse}"`,
      {
        claim: 'use',
      },
    )
  }
  if (req.requiredScopes.length > 0) {
    const missing = req.requiredScopes.filter((s) => !mandate.scopes.includes(s))
    if (missing.length > 0) {
      throw new CaracalError('insufficient_scope', `missing scope(s): ${missing.join(' ')}`, {
        requiredScopes: req.requiredScopes,
        missingScopes: missing,
      })
    }
  }
  // Indexed loops: a for-of over a frozen (usually empty) array makes an iterator per request on
  // JavaScriptCore, and this runs on every request, cached mandate or not.
  for (let i = 0; i < req.requiredTargets.length; i++) {
    const target = req.requiredTargets[i]!
    if (!mandate.targets.includes(target)) {
      throw new CaracalError('invalid_token', `claim \`target\` does not contain ${JSON.stringify(target)}`, {
        claim: 'target',
      })
    }
  }
  if (req.requireAgent && !mandate.agentSessionId) {
    throw new CaracalError('session_required', 'the route requires an agent mandate; `agent_session_id` is absent')
  }
  if (req.requireDelegation && !mandate.delegationEdgeId) {
    throw new CaracalError(
      'delegation_required',
      'the route requires delegated authority; `delegation_edge_id` is absent',
    )
  }
  if (mandate.hopCount > req.maxHopCount) {
    throw new CaracalError('hop_count_exceeded', `hop_count ${mandate.hopCount} exceeds maxHopCount ${req.maxHopCount}`)
  }
  for (let i = 0; i < req.requireChainContains.length; i++) {
    const app = req.requireChainContains[i]!
    if (!mandate.delegationChain.some((link) => link.applicationId === app)) {
      throw new CaracalError('chain_mismatch', `delegation_chain has no application ${JSON.stringify(app)}`, {
        missingApplicationId: app,
      })
    }
  }
}
