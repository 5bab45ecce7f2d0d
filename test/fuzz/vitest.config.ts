import { defineConfig } from 'vitest/config'

// `npm run fuzz`: the properties of test/fuzz/ alone, with the count and seed of FUZZ_RUNS and
// FUZZ_SEED (see test/fuzz/support/run.ts). CI runs the same files from the root config.
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.test.ts'],
    testTimeout: 24 * 60 * 60 * 1000,
    hookTimeout: 120_000,
  },
})
