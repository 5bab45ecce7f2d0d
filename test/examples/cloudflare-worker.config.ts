import { defineConfig } from 'vitest/config'
import examples from './vitest.config.js'

// The Cloudflare Worker example's smoke test, a step of its own (it starts `wrangler dev`), kept out
// of the other examples' `*.test.ts` run so it does not run twice.
export default defineConfig({
  ...examples,
  test: { ...examples.test, include: ['test/examples/cloudflare-worker.smoke.ts'] },
})
