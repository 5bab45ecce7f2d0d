import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const script = new URL('../../scripts/check-doc-snippets.mjs', import.meta.url).pathname
const fixtures = 'test/unit/fixtures/doc-snippets'

function run(...args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' }) }
  } catch (error) {
    const failed = error as { status: number; stdout: string }
    return { code: failed.status, out: failed.stdout }
  }
}

describe('scripts/check-doc-snippets.mjs', () => {
  it('passes blocks that equal the quoted file or region', () => {
    const { code, out } = run(`${fixtures}/good.md`)
    expect(out).toContain('snippets: 2 passed, 0 failed, 0 skipped')
    expect(code).toBe(0)
  })

  it('fails a drifted block, a missing file and a comment with no block, naming each', () => {
    const { code, out } = run(`${fixtures}/drifted.md`)
    expect(out).toContain('line 1: "const a = 2" vs "const a = 1"')
    expect(out).toContain(`no file ${fixtures}/missing.ts`)
    expect(out).toContain('no code block follows the snippet comment')
    expect(out).toContain('snippets: 0 passed, 3 failed, 0 skipped')
    expect(code).toBe(1)
  })

  it('--write rewrites a drifted block from its file, after which the check passes', () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'snippets-')), 'doc.md')
    copyFileSync(`${fixtures}/good.md`, copy)
    const drifted = readFileSync(copy, 'utf8').replace('return a\n````', 'return 42\n````')
    writeFileSync(copy, drifted)
    expect(run(copy).code).toBe(1)
    run('--write', copy)
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(`${fixtures}/good.md`, 'utf8'))
    expect(run(copy).code).toBe(0)
  })
})
