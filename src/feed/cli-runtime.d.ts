// The few Node APIs the CLI uses (Node, Bun and Deno all provide them), declared here so that src
// compiles with `types: []` and no Node global leaks into the portable modules.
declare module 'node:os' {
  export function hostname(): string
}

declare module 'node:util' {
  export function parseArgs(config: {
    args: string[]
    options: Record<string, { type: 'string' | 'boolean'; short?: string }>
    strict: true
    allowPositionals: false
  }): { values: Record<string, string | boolean | undefined> }
}

declare module 'node:process' {
  const process: {
    argv: string[]
    env: Record<string, string | undefined>
    pid: number
    exitCode: number | undefined
    exit(code?: number): never
    on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown
    stdout: { write(text: string): boolean }
    stderr: { write(text: string): boolean }
  }
  export default process
}
