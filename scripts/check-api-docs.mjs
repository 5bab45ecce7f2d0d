#!/usr/bin/env node
// Drift check of the generated API reference: regenerates it with TypeDoc (typedoc.json) into a
// temporary directory and compares it file by file with the committed docs/api/. Exits non-zero,
// listing every file that differs, is missing or is extra; `npm run docs:api` rewrites docs/api/.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const committed = join(root, 'docs/api')
const fresh = mkdtempSync(join(tmpdir(), 'caracal-api-docs-'))

/** Every file under `dir`, as paths relative to it. */
function files(dir) {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
      .sort()
  } catch {
    return []
  }
}

try {
  const run = spawnSync('npx', ['typedoc', '--logLevel', 'Warn', '--out', fresh], { cwd: root, encoding: 'utf8' })
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout}${run.stderr}check-api-docs: typedoc failed\n`)
    process.exit(1)
  }
  const want = files(fresh)
  const have = new Set(files(committed))
  const drift = []
  for (const file of want) {
    if (!have.has(file)) drift.push(`missing: docs/api/${file}`)
    else if (readFileSync(join(fresh, file), 'utf8') !== readFileSync(join(committed, file), 'utf8'))
      drift.push(`differs: docs/api/${file}`)
    have.delete(file)
  }
  for (const file of have) drift.push(`extra: docs/api/${file}`)
  if (drift.length > 0) {
    process.stderr.write(`${drift.join('\n')}\ncheck-api-docs: docs/api/ is out of date; run \`npm run docs:api\`\n`)
    process.exit(1)
  }
  process.stdout.write(`check-api-docs: docs/api/ matches the TSDoc (${want.length} files)\n`)
} finally {
  rmSync(fresh, { recursive: true, force: true })
}
