/** Assertions with no test-framework import, so the contract suites run in every runtime. */
export function equal<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
  }
}

export function ok(value: unknown, what: string): void {
  if (!value) throw new Error(`${what}: expected a truthy value, got ${JSON.stringify(value)}`)
}

export function match(actual: string | null, pattern: RegExp, what: string): void {
  if (actual === null || !pattern.test(actual))
    throw new Error(`${what}: ${JSON.stringify(actual)} does not match ${pattern}`)
}

export async function rejects(fn: () => unknown, pattern: RegExp, what: string): Promise<void> {
  try {
    await fn()
  } catch (error) {
    const message = String((error as Error)?.message ?? error)
    if (!pattern.test(message)) throw new Error(`${what}: threw ${JSON.stringify(message)}, expected ${pattern}`)
    return
  }
  throw new Error(`${what}: did not throw`)
}

/** One named check of a contract suite; runners turn each into a test of their framework. */
export interface ContractCase {
  readonly name: string
  run(): Promise<void>
}
