/**
 * Runs contract cases in any runtime with no test framework: one line per case, then the closing
 * line `<label>: N passed, N failed, N skipped` that scripts/test.mjs adds up. Portable: no Node,
 * Bun or Deno API, so the Bun and Deno runners share it.
 */
import type { ContractCase } from '../contract/assert.js'

export interface RunSummary {
  readonly passed: number
  readonly failed: number
  readonly skipped: number
}

/** A case that cannot run here, with the reason shown instead of a pass. */
export interface SkippedCase {
  readonly name: string
  readonly reason: string
}

export interface RunOptions {
  /** Deadline of one case, in ms. @default 20_000 */
  readonly timeoutMs?: number
  readonly skipped?: readonly SkippedCase[]
  /** Only run cases whose name contains this text. */
  readonly filter?: string
}

function withDeadline(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** Runs the cases one after another and prints their results; never throws. */
export async function runCases(
  label: string,
  cases: readonly ContractCase[],
  options: RunOptions = {},
): Promise<RunSummary> {
  const names = new Set<string>()
  let passed = 0
  let failed = 0
  for (const c of cases) {
    if (options.filter !== undefined && !c.name.includes(options.filter)) continue
    if (names.has(c.name)) {
      failed++
      console.log(`  ✗ ${c.name}\n      duplicate case name`)
      continue
    }
    names.add(c.name)
    const started = performance.now()
    try {
      await withDeadline(
        Promise.resolve().then(() => c.run()),
        options.timeoutMs ?? 20_000,
      )
      passed++
      console.log(`  ✓ ${c.name} (${Math.round(performance.now() - started)} ms)`)
    } catch (error) {
      failed++
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error)
      console.log(`  ✗ ${c.name}\n      ${detail.replace(/\n/g, '\n      ')}`)
    }
  }
  for (const s of options.skipped ?? []) console.log(`  - ${s.name} (skipped: ${s.reason})`)
  const skipped = options.skipped?.length ?? 0
  console.log(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped`)
  return { passed, failed, skipped }
}
