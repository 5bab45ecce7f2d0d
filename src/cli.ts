#!/usr/bin/env node
/**
 * The `caracal-fetch` command: a table of subcommands, each loaded only when it is run. A
 * subcommand module exports `main(args)`, resolving to the exit code.
 */
import process from 'node:process'

/** A subcommand: its module, loaded on demand. */
type Command = () => Promise<{ main(args: string[]): Promise<number> }>

const COMMANDS: Record<string, Command> = {
  feed: () => import('./feed/cli.js'),
}

const USAGE = `usage: caracal-fetch <command> [options]

commands:
  feed    consume Caracal's revocation streams into a revocation store (caracal-fetch feed --help)
`

const [name, ...args] = process.argv.slice(2)
const command = name === undefined ? undefined : COMMANDS[name]
if (command === undefined) {
  const known = name === undefined || name === '--help' || name === '-h'
  ;(known ? process.stdout : process.stderr).write(
    known ? USAGE : `caracal-fetch: unknown command ${JSON.stringify(name)}\n${USAGE}`,
  )
  process.exit(known ? 0 : 2)
}
process.exitCode = await (await command()).main(args)
