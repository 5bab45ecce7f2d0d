#!/usr/bin/env node
// Checks that the docs quote their snippet files exactly. A fenced code block right after a line
// `<!-- snippet: path/to/file -->` (path from the repository root) must equal that file, byte for
// byte; the files themselves are run or type-checked by the test suite, so a quoted block cannot
// drift from what is tested. Scans README.md and the Markdown under docs/ (not the generated
// docs/api/). Exits non-zero listing each drifted, missing or malformed block. `--unquoted` also
// lists, without failing, the code blocks that quote no file (neither run nor type-checked).
// Usage: node scripts/check-doc-snippets.mjs [--unquoted] [file.md ...]
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
    .filter((file) => !file.startsWith('docs/api/')) // generated from the TSDoc
  return ['README.md', ...docs.sort()]
}

/** Problems of one Markdown file, and how many snippets it quotes. */
function check(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const problems = []
  const unquoted = []
  let quoted = 0
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i])
    if (marker === null) {
      const fence = FENCE.exec(lines[i])
      if (fence === null) continue
      unquoted.push(`${file}:${i + 1}`)
      const close = lines.findIndex((line, j) => j > i && line.trim() === fence[1])
      i = close === -1 ? lines.length : close
      continue
    }
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
  return { problems, quoted, unquoted }
}

const args = process.argv.slice(2)
const listUnquoted = args.includes('--unquoted')
const named = args.filter((arg) => arg !== '--unquoted')
const files = named.length > 0 ? named : markdownFiles()
const problems = []
const unquoted = []
let quoted = 0
for (const file of files) {
  const result = check(file)
  problems.push(...result.problems)
  unquoted.push(...result.unquoted)
  quoted += result.quoted
}
if (listUnquoted) process.stdout.write(unquoted.map((where) => `unquoted code block: ${where}\n`).join(''))
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\ncheck-doc-snippets: ${problems.length} block(s) drifted\n`)
  process.exit(1)
}
process.stdout.write(`check-doc-snippets: ${quoted} quoted snippet(s) match their files\n`)
