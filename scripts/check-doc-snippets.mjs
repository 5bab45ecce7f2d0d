#!/usr/bin/env node
// Docs quote tested files, never a hand-kept copy: a fenced code block right after a comment
// `<!-- snippet: path/to/file.ts -->` must equal that file (path from the repository root), or the
// region of it between the lines `#region name` and `#endregion` when the comment says
// `<!-- snippet: path/to/file.ts#name -->` (marker lines left out, common indentation removed).
// Blank lines may separate the comment from the block; nothing else may.
//
//   node scripts/check-doc-snippets.mjs [file.md ...]            check (default: README.md, docs/**/*.md)
//   node scripts/check-doc-snippets.mjs --write [file.md ...]    rewrite each quoted block from its file
//
// Prints one line per snippet and `snippets: N passed, N failed, 0 skipped`; exits 1 on a failure.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const MARKER = /^<!--\s*snippet:\s*(\S+?)\s*-->\s*$/
const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/

/** Markdown files to check: the arguments, or README.md and everything under docs/. */
function markdownFiles(args) {
  if (args.length > 0) return args.map((file) => join(root, relative(root, file)))
  const found = [join(root, 'README.md')]
  const walk = (dir) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.md')) found.push(path)
    }
  }
  walk(join(root, 'docs'))
  return found
}

/** The quoted text of `target` (`file` or `file#region`), or an error message. */
function quoted(target) {
  const [file, region] = target.split('#')
  const path = join(root, file)
  if (!path.startsWith(root) || !existsSync(path)) return { error: `no file ${file}` }
  const text = readFileSync(path, 'utf8').replace(/\r\n/g, '\n').replace(/\n$/, '')
  if (region === undefined) return { text }
  const lines = text.split('\n')
  const start = lines.findIndex((line) => new RegExp(`#region ${escape(region)}\\s*(?:\\*/|-->)?\\s*$`).test(line))
  if (start === -1) return { error: `no line "#region ${region}" in ${file}` }
  const end = lines.findIndex((line, i) => i > start && /#endregion\b/.test(line))
  if (end === -1) return { error: `region ${region} in ${file} has no #endregion` }
  const body = lines.slice(start + 1, end)
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)[0].length))
  return { text: body.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n') }
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Each marked block of one markdown text: marker line, fence lines, target. */
function snippets(lines) {
  const found = []
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i])
    if (!marker) continue
    let open = i + 1
    while (open < lines.length && lines[open].trim() === '') open++
    const fence = FENCE_OPEN.exec(lines[open] ?? '')
    if (!fence) {
      found.push({ line: i + 1, target: marker[1], error: 'no code block follows the snippet comment' })
      continue
    }
    const [, , ticks] = fence
    const closing = new RegExp(`^ {0,3}${ticks[0] === '`' ? '`' : '~'}{${ticks.length},}\\s*$`)
    let close = open + 1
    while (close < lines.length && !closing.test(lines[close])) close++
    if (close === lines.length) {
      found.push({ line: i + 1, target: marker[1], error: 'the code block is never closed' })
      continue
    }
    found.push({ line: i + 1, target: marker[1], open, close })
    i = close
  }
  return found
}

const write = process.argv.includes('--write')
const files = markdownFiles(process.argv.slice(2).filter((arg) => arg !== '--write'))
let passed = 0
let failed = 0
for (const file of files) {
  if (!existsSync(file)) continue
  const lines = readFileSync(file, 'utf8').split('\n')
  const name = relative(root, file)
  // Later blocks first, so rewriting one does not move the line numbers of the others.
  const found = snippets(lines).reverse()
  let changed = false
  const results = []
  for (const s of found) {
    const source = s.error === undefined ? quoted(s.target) : { error: s.error }
    let problem = source.error
    if (problem === undefined) {
      const block = lines.slice(s.open + 1, s.close).join('\n')
      if (block !== source.text) {
        if (write) {
          lines.splice(s.open + 1, s.close - s.open - 1, ...source.text.split('\n'))
          changed = true
        } else {
          problem = `the block differs from ${s.target}${firstDifference(block, source.text)}`
        }
      }
    }
    results.unshift({ ...s, problem })
  }
  for (const r of results) {
    if (r.problem === undefined) passed++
    else failed++
    process.stdout.write(`  ${r.problem === undefined ? '✓' : '✗'} ${name}:${r.line} ${r.target}`)
    process.stdout.write(r.problem === undefined ? '\n' : `\n      ${r.problem}\n`)
  }
  if (changed) {
    writeFileSync(file, lines.join('\n'))
    process.stdout.write(`  rewrote ${name}\n`)
  }
}

/** Where two texts first differ, as `; line N: "doc" vs "file"`. */
function firstDifference(block, text) {
  const a = block.split('\n')
  const b = text.split('\n')
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `; line ${i + 1}: ${JSON.stringify(a[i] ?? '')} vs ${JSON.stringify(b[i] ?? '')}`
  }
  return ''
}

process.stdout.write(`snippets: ${passed} passed, ${failed} failed, 0 skipped\n`)
process.exit(failed > 0 ? 1 : 0)
