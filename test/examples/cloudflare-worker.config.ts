import { defineConfig } from 'vitest/config'
import examples from './vitest.config.js'

// The smoke tests of the examples served by `wrangler dev` (the Cloudflare Worker example, the
// Hono example as a Worker and the MCP Worker), a step of their own, kept out of the other examples' `*.test.ts` run
// so they do not run twice. One file at a time (the examples config), as each start rebuilds dist/.
export default defineConfig({
  ...examples,
  test: { ...examples.test, include: ['test/examples/*.smoke.ts'] },
})
