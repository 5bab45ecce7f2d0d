import { defineConfig } from 'vitest/config'

// No aliases: `caracal-fetch` and its subpaths resolve by name (node_modules/caracal-fetch -> the
// local build, see scripts/link-local-build.mjs) through the package's own `exports` and `imports`
// maps with Node's conditions, so the contract and integration suites test what users install,
// `#signature` -> node:crypto included. Unit tests import src/ directly.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 20_000,
  },
})
