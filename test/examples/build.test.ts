/**
 * The examples as a user builds them: type-checked against the built package's declarations (what
 * `npm i caracal-fetch` gives), and the Hono example bundled as a Worker by wrangler.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, expect, test } from 'vitest'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname
const bin = (name: string): string => join(root, 'node_modules/.bin', name)
// wrangler needs Node 22: the project's own, first on PATH.
const env = {
  ...process.env,
  PATH: `${join(root, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}`,
  WRANGLER_SEND_METRICS: 'false',
}

// The examples resolve 'caracal-fetch' through node_modules, as an installed package.
beforeAll(() => run(bin('node'), [join(root, 'scripts/link-local-build.mjs')], { env }))

test.each(['node', 'hono', 'mcp-worker'])('edge-examples/%s type-checks against dist/*.d.ts', async (name) => {
  await run(bin('node'), [bin('tsc'), '-p', `edge-examples/${name}/tsconfig.json`], { cwd: root, env })
})

test('edge-examples/hono bundles as a Cloudflare Worker (wrangler deploy --dry-run)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'hono-worker-'))
  try {
    await run(bin('wrangler'), ['deploy', '--dry-run', '--outdir', out], { cwd: join(root, 'edge-examples/hono'), env })
    expect(statSync(join(out, 'worker.js')).size).toBeGreaterThan(0)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}, 120_000)
