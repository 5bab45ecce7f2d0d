import { defineConfig } from 'vitest/config'

// No aliases: `caracal-fetch` and its subpaths resolve by name (node_modules/caracal-fetch -> the
// local build, see scripts/link-local-build.mjs) through the package's own `exports` and `imports`
// maps with Node's conditions, so the contract and integration suites test what users install,
// `#signature` -> node:crypto included. Unit tests import src/ directly.
export default defineConfig({
  test: {
    // test/fuzz: the property-based suite at its fixed CI seed and count (FUZZ_RUNS, see
    // test/fuzz/support/run.ts); `npm run fuzz` runs the same files with many more cases.
    // test/runtime/node: the Node runner of the portable contract suites, as Bun, Deno and workerd have theirs.
    include: [
      'test/unit/**/*.test.ts',
      'test/integration/**/*.test.ts',
      'test/runtime/node/**/*.test.ts',
      'test/fuzz/**/*.test.ts',
    ],
    testTimeout: 20_000,
  },
})
