#!/usr/bin/env node
// Checks that the docs quote their snippet files exactly. A fenced code block right after a line
// `<!-- snippet: path/to/file -->` (path from the repository root) must equal that file, byte for
// byte; the files themselves are run by the test suite, so a quoted block cannot drift from what
// is tested. Scans README.md and every Markdown file under docs/. Exits non-zero listing each
// drifted, missing or malformed block. Usage: node scripts/check-doc-snippets.mjs [file.md ...]
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const MARKER = /^<!-- snippet: (\S+) -->$/
const FENCE = /^(`{3,}|~{3,})/

function markdownFiles() {
  const docs = readdirSync(join(root, 'docs'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
  return ['README.md', ...docs.sort()]
}

/** Problems of one Markdown file, and how many snippets it quotes. */
function check(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const problems = []
  let quoted = 0
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i])
    if (marker === null) continue
    const where = `${file}:${i + 1}`
    const snippet = marker[1]
    const open = FENCE.exec(lines[i + 1] ?? '')
    if (open === null) {
      problems.push(`${where}: no code fence right after the snippet marker for ${snippet}`)
      continue
    }
    const close = lines.findIndex((line, j) => j > i + 1 && line.startsWith(open[1]) && line.trim() === open[1])
    if (close === -1) {
      problems.push(`${where}: the code block quoting ${snippet} is never closed`)
      continue
    }
    quoted++
    const path = join(root, snippet)
    if (!existsSync(path)) {
      problems.push(`${where}: ${snippet} does not exist`)
      continue
    }
    const block = lines.slice(i + 2, close).join('\n') + '\n'
    if (block !== readFileSync(path, 'utf8')) problems.push(`${where}: the block differs from ${snippet}`)
    i = close
  }
  return { problems, quoted }
}

const files = process.argv.length > 2 ? process.argv.slice(2) : markdownFiles()
const problems = []
let quoted = 0
for (const file of files) {
  const result = check(file)
  problems.push(...result.problems)
  quoted += result.quoted
}
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\ncheck-doc-snippets: ${problems.length} block(s) drifted\n`)
  process.exit(1)
}
process.stdout.write(`check-doc-snippets: ${quoted} quoted snippet(s) match their files\n`)
