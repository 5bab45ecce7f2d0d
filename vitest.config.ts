import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (file: string): string => fileURLToPath(new URL(`./src/${file}`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^caracal-fetch$/, replacement: src('index.ts') },
      { find: /^caracal-fetch\/testing$/, replacement: src('testing.ts') },
      // Node's pick of the package.json `#signature` import (node:crypto); workerd tests map it to signature-web.
      { find: /^#signature$/, replacement: src('verify/signature-node.ts') },
      { find: /^caracal-fetch\/upstash$/, replacement: src('upstash.ts') },
      { find: /^caracal-fetch\/hono$/, replacement: src('hono.ts') },
    ],
  },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 20_000,
  },
})
