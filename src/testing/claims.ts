/**
 * The claims a Caracal mandate carries (caracal-mandates.md section 1), so a misspelt claim in a
 * test (`scopes` for `scope`) fails loudly instead of minting a mandate without it.
 */
import { nearestKey } from '../option-keys.js'

/** Every claim name of a Caracal mandate. */
export const MANDATE_CLAIMS = [
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'sub',
  'sub_type',
  'client_id',
  'zone_id',
  'sid',
  'root_sid',
  'use',
  'scope',
  'target',
  'agent_session_id',
  'delegation_edge_id',
  'source_session_id',
  'target_session_id',
  'delegation_path',
  'delegation_chain',
  'hop_count',
  'delegation_graph_epoch',
] as const

/**
 * Claims to mint, as tests write them: `scope` may be a list (joined with spaces, as the wire form
 * wants), and a claim set to `undefined` is removed from the mandate.
 */
export type MandateClaims = {
  scope?: string | readonly string[] | undefined
} & { [claim in Exclude<(typeof MANDATE_CLAIMS)[number], 'scope'>]?: unknown }

/** Checks the claim names and puts `scope` in its wire form. `extraKeys` are the caller's own options. */
export function wireClaims(where: string, claims: object, extraKeys: readonly string[] = []): Record<string, unknown> {
  const known = [...MANDATE_CLAIMS, ...extraKeys]
  for (const name of Object.keys(claims)) {
    if (known.includes(name)) continue
    const nearest = nearestKey(name, known)
    const hint = nearest === undefined ? `known claims: ${known.join(', ')}` : `did you mean \`${nearest}\`?`
    throw new TypeError(`${where}: unknown claim \`${name}\`; ${hint}`)
  }
  const wire: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(claims)) {
    if (extraKeys.includes(name)) continue
    wire[name] = name === 'scope' && Array.isArray(value) ? value.join(' ') : value
  }
  return wire
}
