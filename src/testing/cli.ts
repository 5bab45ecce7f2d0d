/**
 * The `caracal-fetch dev-sts` and `caracal-fetch mint` subcommands. The dev STS keeps its keys in
 * memory only, so `mint` asks a running dev STS over loopback HTTP (`POST /mint`) rather than
 * reading a private key from disk: no key file to leak, and restarting the dev STS retires every
 * mandate it minted. Both take the same variables as `withCaracal` (`CARACAL_STS_URL`,
 * `CARACAL_ZONE_ID`, `CARACAL_AUDIENCE`), so one `export` line configures server and tools alike.
 */
import { parseFlags } from './cli-args.js'
import { createDevIssuer, type DevSts } from './dev-issuer.js'
import { wireClaims } from './claims.js'
import { connectDevSts } from './dev-sts-client.js'
import { assertLocalUrl } from './loopback.js'

/** Where the subcommands write: stdout for results, stderr for the rest. */
export interface CliOutput {
  out(text: string): void
  err(text: string): void
}

/** Environment variables, as `process.env` or `Deno.env.toObject()` give them. */
export type CliEnv = Readonly<Record<string, string | undefined>>

/** Next to wrangler's 8787, so a Worker in `wrangler dev` and the dev STS can run side by side. */
export const DEFAULT_DEV_STS_PORT = 8788

const consoleOutput: CliOutput = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
}

const DEV_STS_FLAGS = {
  port: 'value',
  host: 'value',
  zone: 'value',
  aud: 'value',
  'dangerously-allow-non-loopback': 'switch',
  help: 'switch',
} as const

const MINT_FLAGS = {
  sts: 'value',
  scope: 'list',
  aud: 'value',
  sub: 'value',
  'sub-type': 'value',
  'client-id': 'value',
  target: 'list',
  'agent-session-id': 'value',
  'expires-in': 'value',
  claims: 'value',
  'dangerously-allow-non-loopback': 'switch',
  help: 'switch',
} as const

const DEV_STS_USAGE = `Usage: caracal-fetch dev-sts [--port ${DEFAULT_DEV_STS_PORT}] [--zone ID] [--aud RESOURCE] [--host 127.0.0.1]

Starts a development STS on loopback: the zone's JWKS at /.well-known/jwks.json?zone_id=ID and
POST /mint. Keys live in memory; for tests and local development only.
  --port   port to listen on, 0 for a free one (default ${DEFAULT_DEV_STS_PORT})
  --zone   zone of the minted mandates (default $CARACAL_ZONE_ID, else zone-dev)
  --aud    audience of the minted mandates (default $CARACAL_AUDIENCE, else resource://dev)
  --host   loopback address to bind (default 127.0.0.1)
  --dangerously-allow-non-loopback   bind another address: anyone who reaches it can mint mandates`

const MINT_USAGE = `Usage: caracal-fetch mint [--scope S]... [--aud RESOURCE] [--sub ID] [--sts URL] [...]

Prints a mandate minted by a running \`caracal-fetch dev-sts\`.
  --sts               the dev STS (default $CARACAL_STS_URL, else http://127.0.0.1:${DEFAULT_DEV_STS_PORT}); loopback only
  --scope             a granted scope; repeat for more
  --aud               audience (default the dev STS's)
  --sub, --sub-type, --client-id, --agent-session-id   those claims
  --target            a granted target; repeat for more
  --expires-in        lifetime in seconds (default 300)
  --claims            more claims as a JSON object, e.g. '{"hop_count":2}'
  --dangerously-allow-non-loopback   send the claims to a non-loopback --sts`

/**
 * `caracal-fetch dev-sts`: starts a development STS and prints how to use it. Resolves to the
 * running STS (close it to stop), or to undefined after `--help`. Bad flags reject with a TypeError.
 */
export async function runDevSts(
  argv: readonly string[],
  env: CliEnv,
  output: CliOutput = consoleOutput,
): Promise<DevSts | undefined> {
  const flags = parseFlags('caracal-fetch dev-sts', argv, DEV_STS_FLAGS)
  if (flags.help) {
    output.out(DEV_STS_USAGE)
    return undefined
  }
  if (flags.port !== undefined && !/^\d{1,5}$/.test(flags.port)) {
    throw new TypeError(`caracal-fetch dev-sts: --port must be a port number, got ${JSON.stringify(flags.port)}`)
  }
  const dev = await createDevIssuer({
    zoneId: flags.zone ?? env['CARACAL_ZONE_ID'] ?? 'zone-dev',
    audience: flags.aud ?? env['CARACAL_AUDIENCE'] ?? 'resource://dev',
  })
  const sts = await dev.listen({
    port: flags.port === undefined ? DEFAULT_DEV_STS_PORT : Number(flags.port),
    hostname: flags.host ?? '127.0.0.1',
    dangerouslyAllowNonLoopback: flags['dangerously-allow-non-loopback'] === true,
  })
  const exports = `CARACAL_STS_URL=${sts.issuer} CARACAL_ZONE_ID=${sts.zoneId} CARACAL_AUDIENCE=${sts.audience}`
  output.out(
    [
      'caracal-fetch dev-sts: a development issuer for tests and local development (keys in memory)',
      `  issuer    ${sts.issuer}`,
      `  zone      ${sts.zoneId}`,
      `  audience  ${sts.audience}`,
      `  jwks      ${sts.jwksUrl}`,
      `  mint      POST ${sts.mintUrl}`,
      '',
      'Point your server at it:',
      `  export ${exports}`,
      'Mint a mandate:',
      `  npx caracal-fetch mint --sts ${sts.issuer} --scope billing:read`,
      `  curl -s -X POST '${sts.mintUrl}' -H 'content-type: application/json' -d '{"scope":"billing:read"}'`,
      '',
      'Mandates die with this process: after a restart, mint new ones. Ctrl-C stops it.',
    ].join('\n'),
  )
  return sts
}

/**
 * `caracal-fetch mint`: asks a running dev STS for a mandate and prints it alone on stdout, so
 * `TOKEN=$(npx caracal-fetch mint --scope a)` works. Resolves to the mandate, or undefined after
 * `--help`. Bad flags reject with a TypeError; a refusal from the dev STS rejects with its reason.
 */
export async function runMint(
  argv: readonly string[],
  env: CliEnv,
  output: CliOutput = consoleOutput,
): Promise<string | undefined> {
  const command = 'caracal-fetch mint'
  const flags = parseFlags(command, argv, MINT_FLAGS)
  if (flags.help) {
    output.out(MINT_USAGE)
    return undefined
  }
  const sts = assertLocalUrl(
    command,
    '--sts',
    flags.sts ?? env['CARACAL_STS_URL'] ?? `http://127.0.0.1:${DEFAULT_DEV_STS_PORT}`,
    {
      allowed: flags['dangerously-allow-non-loopback'] === true,
      reservedNamesToo: false,
      override: '--dangerously-allow-non-loopback',
    },
  )
  const claims: Record<string, unknown> = flags.claims === undefined ? {} : parseClaims(command, flags.claims)
  if (flags.scope !== undefined)
    claims['scope'] = flags.scope
      .flatMap((s) => s.split(/\s+/))
      .filter(Boolean)
      .join(' ')
  if (flags.aud !== undefined) claims['aud'] = [flags.aud]
  if (flags.sub !== undefined) claims['sub'] = flags.sub
  if (flags['sub-type'] !== undefined) claims['sub_type'] = flags['sub-type']
  if (flags['client-id'] !== undefined) claims['client_id'] = flags['client-id']
  if (flags['agent-session-id'] !== undefined) claims['agent_session_id'] = flags['agent-session-id']
  if (flags.target !== undefined) claims['target'] = flags.target
  const expiresIn = flags['expires-in'] === undefined ? undefined : Number(flags['expires-in'])
  if (expiresIn !== undefined && !Number.isInteger(expiresIn)) {
    throw new TypeError(`${command}: --expires-in must be whole seconds, got ${JSON.stringify(flags['expires-in'])}`)
  }
  wireClaims(command, claims)
  let token: string
  try {
    // Already checked above, with the message that names this command's flag.
    const client = connectDevSts(sts.href, { dangerouslyAllowNonLoopback: true })
    token = await client.mint(claims, expiresIn === undefined ? {} : { expiresIn })
  } catch (error) {
    const unreachable = /^no dev STS answers/.test((error as Error).message)
    const hint = unreachable ? '; start one with `npx caracal-fetch dev-sts`' : ''
    throw new Error(`${command}: ${(error as Error).message}${hint}`, { cause: error })
  }
  output.out(token)
  return token
}
function parseClaims(command: string, text: string): Record<string, unknown> {
  let claims: unknown
  try {
    claims = JSON.parse(text)
  } catch {
    throw new TypeError(`${command}: --claims is not JSON`)
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError(`${command}: --claims must be a JSON object`)
  }
  return claims as Record<string, unknown>
}
