import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'

// The README's quick start: `npm run demo` must start a protected server and print working curls.
let child: ChildProcess
let output = ''
let origin = ''

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

beforeAll(async () => {
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  // npm test builds dist/ first; the demo imports the package by name from it.
  child = spawn(process.execPath, ['scripts/demo.mjs'], { env: { ...process.env, PORT: String(port) }, stdio: 'pipe' })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 15_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ctrl-C to stop')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)))
  })
})

afterAll(() => {
  child?.kill('SIGTERM')
})

test('the printed curl with a mandate gets 200 from the protected handler', async () => {
  const token = /authorization: Bearer ([\w.-]+)'/.exec(output)?.[1]
  expect(token).toBeDefined()
  const res = await fetch(`${origin}/invoices`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  expect(((await res.json()) as { scopes: string[] }).scopes).toEqual(['demo:read'])
})

test('the printed curl without a mandate gets 401 missing_token', async () => {
  const res = await fetch(`${origin}/invoices`)
  expect(res.status).toBe(401)
  expect(((await res.json()) as { error: string }).error).toBe('missing_token')
})

test('the demo revocation flow turns the printed mandate into 401 session_revoked', async () => {
  const token = /authorization: Bearer ([\w.-]+)'/.exec(output)?.[1]
  expect((await fetch(`${origin}/healthz`)).status).toBe(200)
  expect((await fetch(`${origin}/dev-sts/revoke?anchor=sid-demo`, { method: 'POST' })).status).toBe(200)
  const res = await fetch(`${origin}/invoices`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(401)
  expect(((await res.json()) as { error: string }).error).toBe('session_revoked')
})
