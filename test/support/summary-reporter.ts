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
      let failedHere = 0
      for (const test of mod.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failedHere++
        else skipped++
      }
      // A file that failed as a whole (a throwing beforeAll, an import error) leaves its tests
      // unrun, which vitest reports as skipped: count the file itself as a failure.
      if (mod.state() === 'failed' && failedHere === 0) failedHere = 1
      failed += failedHere
    }
    process.stdout.write(`${this.#label}: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
