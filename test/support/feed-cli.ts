/**
 * Runs `caracal-fetch feed` (the built dist/cli.js) as a child process under Node, Bun or Deno, and
 * follows its log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const CLI = `${root}dist/cli.js`

export type Runtime = 'node' | 'bun' | 'deno'

function command(runtime: Runtime): [string, string[]] {
  if (runtime === 'node') return [process.execPath, [CLI]]
  if (runtime === 'bun') return [`${root}node_modules/.bin/bun`, [CLI]]
  return [`${root}node_modules/.bin/deno`, ['run', '-A', `${root}node_modules/caracal-fetch/dist/cli.js`]]
}

export interface CliRun {
  readonly child: ChildProcess
  /** stdout and stderr lines so far. */
  readonly lines: string[]
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>
  /** Resolves with the first line matching `pattern`, waiting up to `timeoutMs`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>
}

/** Starts `caracal-fetch feed ...args` with exactly `env` (plus PATH and HOME). */
export function startFeedCli(args: string[], env: Record<string, string>, runtime: Runtime = 'node'): CliRun {
  const [cmd, pre] = command(runtime)
  const child = spawn(cmd, [...pre, 'feed', ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  const collect = (chunk: Buffer): void => {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    )
    for (const w of waiters) w()
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? -1)
      for (const w of waiters) w()
    })
  })
  return {
    child,
    lines,
    exited,
    line(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = lines.find((l) => pattern.test(l))
          if (hit !== undefined) {
            done()
            resolve(hit)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done()
            reject(new Error(`feed exited before a line matched ${pattern}:\n${lines.join('\n')}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`no line matched ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`))
        }, timeoutMs)
        const done = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
  }
}
