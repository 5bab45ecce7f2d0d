/**
 * The workerd test step: every file here runs inside real workerd through
 * @cloudflare/vitest-pool-workers, with the Worker of ./wrangler.toml (a local KV namespace bound as
 * REVOCATIONS) as the main Worker. The issuer runs in Node (./global-setup.ts) on a loopback port
 * and reaches the Worker as its CARACAL_STS_URL var, so JWKS fetches are real HTTP from workerd.
 */
import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url))
const src = (file: string): string => here(`../../../src/${file}`)

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: here('./wrangler.toml') },
      remoteBindings: false,
      miniflare: {
        bindings: {
          CARACAL_STS_URL: inject('issuerOrigin'),
          UPSTASH_REDIS_REST_URL: inject('upstashUrl'),
          UPSTASH_REDIS_REST_TOKEN: inject('upstashToken'),
          UPSTASH_STATS_URL: inject('upstashStats'),
        },
      },
    })),
  ],
  resolve: {
    alias: [
      { find: /^caracal-fetch$/, replacement: src('index.ts') },
      { find: /^caracal-fetch\/cloudflare-kv$/, replacement: src('cloudflare-kv.ts') },
      { find: /^caracal-fetch\/upstash$/, replacement: src('upstash.ts') },
      { find: /^caracal-fetch\/testing$/, replacement: src('testing.ts') },
      // What the package's `#signature` import resolves to on Workers: the Web Crypto primitive.
      { find: /^#signature$/, replacement: src('verify/signature-web.ts') },
    ],
  },
  test: {
    root: here('.'),
    include: ['**/*.test.ts'],
    globalSetup: [here('./global-setup.ts'), here('./upstash-setup.ts')],
    testTimeout: 20_000,
  },
})
