/**
 * A small flag parser for the `caracal-fetch` subcommands: `--name value`, `--name=value`, repeatable
 * lists and boolean switches. An unknown flag or a stray argument is a TypeError naming it, so a
 * misspelt `--scopes` fails instead of minting a mandate without the scope.
 */
import { nearestKey } from '../option-keys.js'

/** Each flag's kind: one value, a repeatable list, or a switch with no value. */
export type FlagSpec = Readonly<Record<string, 'value' | 'list' | 'switch'>>

export type ParsedFlags<Spec extends FlagSpec> = {
  [Name in keyof Spec]?: Spec[Name] extends 'list' ? string[] : Spec[Name] extends 'switch' ? true : string
}

export function parseFlags<Spec extends FlagSpec>(
  command: string,
  argv: readonly string[],
  spec: Spec,
): ParsedFlags<Spec> {
  const parsed: Record<string, string | string[] | true> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const m = /^--([a-z][a-z0-9-]*)(?:=([\s\S]*))?$/.exec(arg)
    if (m === null) throw new TypeError(`${command}: unexpected argument ${JSON.stringify(arg)}; flags start with --`)
    const name = m[1]!
    const kind = spec[name]
    if (kind === undefined) {
      const nearest = nearestKey(name, Object.keys(spec))
      const hint = nearest === undefined ? `see ${command} --help` : `did you mean --${nearest}?`
      throw new TypeError(`${command}: unknown flag --${name}; ${hint}`)
    }
    if (kind === 'switch') {
      if (m[2] !== undefined) throw new TypeError(`${command}: --${name} takes no value`)
      parsed[name] = true
      continue
    }
    const value = m[2] ?? argv[++i]
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) {
      throw new TypeError(`${command}: --${name} needs a value`)
    }
    if (kind === 'list') parsed[name] = [...((parsed[name] as string[] | undefined) ?? []), value]
    else if (parsed[name] !== undefined) throw new TypeError(`${command}: --${name} given twice`)
    else parsed[name] = value
  }
  return parsed as ParsedFlags<Spec>
}
