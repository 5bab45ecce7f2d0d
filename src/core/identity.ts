/**
 * Whom to trust and who we are: the issuer and zone (or the `trust` list of them) and this
 * resource's audience. From the options, else the environment: at construction where it is global
 * (Node, Bun, Deno), per request from the Workers `env` otherwise.
 */
import { fromBindings, fromGlobalEnv, globalEnvDenial, isWorkers } from '../env.js'
import { CaracalError } from '../errors.js'
import { httpsUrlProblem } from '../http/urls.js'
import { resolveTrust, type TrustedZone } from './trust.js'

/** One trusted issuer and zone, and the audience its mandates must name. */
export interface Identity {
  readonly issuer: string
  readonly zoneId: string
  readonly audience: string
}

/** The environment variable each part of the identity falls back to. */
export const IDENTITY_VARIABLES = {
  issuer: 'CARACAL_STS_URL',
  zoneId: 'CARACAL_ZONE_ID',
  audience: 'CARACAL_AUDIENCE',
} as const

const PARTS = ['issuer', 'zoneId', 'audience'] as const

/** The identity as far as construction could resolve it. */
export interface IdentityConfig {
  /** Every part, when the options and the global environment gave them all. */
  readonly fixed: Identity | undefined
  /** The parts known at construction; the rest come from each request's `env`. */
  readonly partial: Partial<Identity>
  /** True on Workers, where the environment arrives with each request. */
  readonly perRequestEnv: boolean
  /**
   * The `trust` option: the issuer+zone pairs, when given instead of `issuer` and `zoneId`. Then
   * only the audience is resolved here, and `fixed` stays undefined.
   */
  readonly trust: readonly TrustedZone[] | undefined
}

/** The issuer: an https URL that the JWKS path and `?zone_id=` can be appended to. */
function issuerProblem(issuer: string): string | undefined {
  // A query or a fragment would swallow the path and the zone_id appended after it.
  return httpsUrlProblem(issuer) ?? (/[?#]/.test(issuer) ? 'must have no query (?) or fragment (#)' : undefined)
}

/**
 * Resolves issuer, zone and audience at construction. Where the environment is global a gap is a
 * `TypeError`; on Workers it is left for the request's `env`.
 */
export function resolveIdentity(
  where: string,
  given: Partial<Record<keyof Identity | 'trust', unknown>>,
): IdentityConfig {
  const perRequestEnv = isWorkers()
  const trust = resolveTrust(where, given, issuerProblem)
  const partial: Partial<Record<keyof Identity, string>> = {}
  for (const name of trust === undefined ? PARTS : (['audience'] as const)) {
    const option = given[name]
    if (option !== undefined && (typeof option !== 'string' || option.length === 0)) {
      throw new TypeError(`${where}: \`${name}\` must be a non-empty string`)
    }
    const value =
      (option as string | undefined) ?? (perRequestEnv ? undefined : fromGlobalEnv(IDENTITY_VARIABLES[name]))
    if (value === undefined && !perRequestEnv) {
      const denial = globalEnvDenial(IDENTITY_VARIABLES[name])
      if (denial !== undefined) {
        throw new TypeError(`${where}: cannot read ${IDENTITY_VARIABLES[name]}: ${denial} (or pass \`${name}\`)`)
      }
      throw new TypeError(`${where}: no ${name}; pass \`${name}\` or set ${IDENTITY_VARIABLES[name]}`)
    }
    if (value !== undefined) partial[name] = value
  }
  if (partial.issuer !== undefined) {
    const problem = issuerProblem(partial.issuer)
    if (problem !== undefined) throw new TypeError(`${where}: issuer ${JSON.stringify(partial.issuer)} ${problem}`)
  }
  const complete = partial.issuer !== undefined && partial.zoneId !== undefined && partial.audience !== undefined
  return Object.freeze({
    fixed: complete ? Object.freeze(partial as Identity) : undefined,
    partial: Object.freeze(partial),
    perRequestEnv,
    trust,
  })
}

/** The audience of one request: from the options, else the Workers `env`, else the global environment. */
export function audienceFor(config: IdentityConfig, env: unknown): string {
  return config.partial.audience ?? fromEnvironment(env, 'audience')
}

function fromEnvironment(env: unknown, name: keyof Identity): string {
  const value = fromBindings(env, IDENTITY_VARIABLES[name]) ?? fromGlobalEnv(IDENTITY_VARIABLES[name])
  if (value === undefined) {
    throw new CaracalError(
      'server_misconfigured',
      `no ${name}; pass \`${name}\` or set ${IDENTITY_VARIABLES[name]} in the Worker's vars`,
    )
  }
  return value
}

/** The identity of one request: the fixed parts, the rest from the Workers `env`. */
export function identityFor(config: IdentityConfig, env: unknown): Identity {
  if (config.fixed !== undefined) return config.fixed
  const resolved: Partial<Record<keyof Identity, string>> = { ...config.partial }
  for (const name of PARTS) resolved[name] ??= fromEnvironment(env, name)
  const problem = issuerProblem(resolved.issuer!)
  if (problem !== undefined) throw new CaracalError('server_misconfigured', `${IDENTITY_VARIABLES.issuer} ${problem}`)
  return resolved as Identity
}
