import { defineConfig } from 'vitest/config'
import base from '../../vitest.config.js'

// The documentation snippets, each installed from the packed tarball into a fresh project and run
// with the command the docs give. One snippet at a time: each install and runtime is heavy.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/docs/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
})
