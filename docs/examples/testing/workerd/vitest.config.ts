import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: `${import.meta.dirname}/wrangler.toml` },
      remoteBindings: false,
      // The Worker fetches its keys from the dev STS that global-setup.ts started.
      miniflare: { bindings: { CARACAL_STS_URL: inject('caracalStsUrl') } },
    })),
  ],
  test: { root: import.meta.dirname, globalSetup: ['./global-setup.ts'] },
})
