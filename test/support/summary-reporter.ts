import type { Reporter, TestModule } from 'vitest/node'

/**
 * Prints one plain closing line, `<label>: N passed, N failed, N skipped`, which scripts/test.mjs
 * adds up across every runtime's runner.
 */
export default class SummaryReporter implements Reporter {
  readonly #label: string
  constructor() {
    this.#label = process.env['SUMMARY_LABEL'] ?? 'vitest'
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++
    }
    process.stdout.write(`${this.#label}: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
