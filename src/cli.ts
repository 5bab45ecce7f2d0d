#!/usr/bin/env node
/**
 * The `caracal-fetch` command (`npx caracal-fetch <subcommand>`): one entry per subcommand in
 * COMMANDS, each module loaded only when its subcommand runs. A usage mistake (a TypeError from the
 * subcommand) exits 2, any other failure exits 1, each with a one-line message and no stack.
 */
import type { CliEnv } from './testing/cli.js'

// The one Node global this entry needs, declared narrowly: src is compiled with no runtime's types.
declare const process: { argv: string[]; env: CliEnv; exitCode?: number }

/** Runs a subcommand; a number is its exit code. */
type Subcommand = (argv: readonly string[], env: CliEnv) => Promise<unknown>

/** Subcommand name -> what runs it and a one-line summary for `--help`. */
const COMMANDS: Record<string, { run: Subcommand; summary: string }> = {
  feed: {
    run: async (argv) => (await import('./feed/cli.js')).main([...argv]),
    summary: "consume Caracal's revocation streams into a revocation store (feed --help)",
  },
  'dev-sts': {
    run: async (argv, env) => (await import('./testing/cli.js')).runDevSts(argv, env),
    summary: 'start a development STS on loopback (JWKS and POST /mint)',
  },
  mint: {
    run: async (argv, env) => (await import('./testing/cli.js')).runMint(argv, env),
    summary: 'print a mandate minted by a running dev-sts',
  },
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length))
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return ['Usage: caracal-fetch <command> [flags]   (<command> --help for its flags)', '', ...lines].join('\n')
}

const [name, ...argv] = process.argv.slice(2)
const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
if (name === undefined || name === '--help' || name === '-h') {
  console.log(usage())
} else if (command === undefined) {
  console.error(`caracal-fetch: unknown command ${JSON.stringify(name)}\n\n${usage()}`)
  process.exitCode = 2
} else {
  try {
    const code = await command.run(argv, process.env)
    if (typeof code === 'number') process.exitCode = code
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exitCode = error instanceof TypeError ? 2 : 1
  }
}
