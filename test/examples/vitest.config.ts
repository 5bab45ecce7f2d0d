import { defineConfig } from 'vitest/config'
import base from '../../vitest.config.js'

// The edge-examples smoke tests: one file at a time, because every `npm run example:*` rebuilds dist/.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/examples/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
})
