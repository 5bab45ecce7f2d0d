#!/usr/bin/env node
// Makes `caracal-fetch` resolvable by name to this checkout, as an install of the local build would:
// node_modules/caracal-fetch -> .. (a symlink), so Node, Bun and Deno all resolve 'caracal-fetch' and
// its subpaths through the package's own `exports` map to dist/. Used by the runtime runners and the
// edge-examples; `npm ci` removes it again. Idempotent.
import { existsSync, lstatSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const link = `${root}node_modules/caracal-fetch`

if (!existsSync(`${root}dist/index.js`)) {
  process.stderr.write('link-local-build: dist/ is missing; run `npm run build` first\n')
  process.exit(1)
}
let current
try {
  current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : 'not a symlink'
} catch {
  current = undefined
}
if (current !== '..') {
  if (current !== undefined) rmSync(link, { recursive: true, force: true })
  symlinkSync('..', link, 'dir')
}
