#!/usr/bin/env node
// Runs every test step (Node, workerd, Bun, Deno, examples, bundle check, the docs' snippets) in
// order, each a child process that ends with a line `<label>: N passed, N failed[, N skipped]`, and
// prints the total as the closing line. Any failed step, or a step that reports no line or no tests, fails the run.
import { spawnSync } from 'node:child_process'

/** [label, command]. Each command must print its own summary line. */
export const STEPS = [
  [
    'node',
    'node scripts/link-local-build.mjs && vitest run --reporter=default --reporter=./test/support/summary-reporter.ts',
  ],
  ['bun', 'node scripts/link-local-build.mjs && bun test/runtime/bun/run.ts'],
  [
    'deno',
    'node scripts/link-local-build.mjs && deno run --no-prompt --sloppy-imports --allow-net=127.0.0.1 test/runtime/deno/run.ts',
  ],
  [
    'workerd',
    'WRANGLER_SEND_METRICS=false vitest run --config test/runtime/workerd/vitest.config.ts --reporter=default --reporter=./test/support/summary-reporter.ts',
  ],
  [
    'examples',
    'vitest run --config test/examples/vitest.config.ts --reporter=default --reporter=./test/support/summary-reporter.ts',
  ],
  ['bundle', 'node scripts/bundle-check.mjs'],
  // The testing guide's examples (docs/testing.md quotes them; scripts/check-doc-snippets.mjs checks the quotes).
  [
    'docs-node',
    'node scripts/link-local-build.mjs && tsc -p docs/examples/testing/node/tsconfig.json && vitest run --config docs/examples/testing/node/vitest.config.ts --reporter=default --reporter=./test/support/summary-reporter.ts',
  ],
  [
    'docs-workerd',
    'node scripts/link-local-build.mjs && WRANGLER_SEND_METRICS=false vitest run --config docs/examples/testing/workerd/vitest.config.ts --reporter=default --reporter=./test/support/summary-reporter.ts',
  ],
  [
    'example-cloudflare-worker',
    'vitest run --config test/examples/cloudflare-worker.config.ts --reporter=default --reporter=./test/support/summary-reporter.ts',
  ],
  [
    'docs',
    'node scripts/link-local-build.mjs && vitest run --config test/docs/vitest.config.ts --reporter=default --reporter=./test/support/summary-reporter.ts',
  ],
]

const only = process.argv.slice(2)
let passed = 0
let failed = 0
let skipped = 0
const problems = []
for (const [label, command] of STEPS) {
  if (only.length > 0 && !only.includes(label)) continue
  process.stdout.write(`\n=== ${label}: ${command}\n`)
  const run = spawnSync(command, {
    shell: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, SUMMARY_LABEL: label },
    maxBuffer: 256 * 1024 * 1024,
  })
  process.stdout.write(run.stdout ?? '')
  const lines = [...(run.stdout ?? '').matchAll(/^(?:[\w:-]+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm)]
  if (lines.length === 0) problems.push(`${label}: printed no summary line`)
  for (const m of lines) {
    passed += Number(m[1])
    failed += Number(m[2])
    skipped += Number(m[3] ?? 0)
    if (Number(m[1]) === 0) problems.push(`${label}: ran no test`)
  }
  if (run.status !== 0) problems.push(`${label}: exited with ${run.status ?? run.signal}`)
}
for (const p of problems) process.stdout.write(`FAILED STEP ${p}\n`)
if (problems.length > 0 && failed === 0) failed = problems.length
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`)
process.exit(problems.length > 0 || failed > 0 ? 1 : 0)
