/**
 * The `caracal-fetch` bin as npm installs it (package.json `bin` -> the build): `dev-sts` in one
 * process, `mint` in another, and a protected handler that fetches the JWKS from the first over
 * loopback HTTP accepts what the second printed. Usage mistakes exit 2 with one line and no stack.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterAll, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'

const root = new URL('../../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { bin: Record<string, string> }
const bin = new URL(pkg.bin['caracal-fetch']!, root).pathname
const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) child.kill('SIGTERM')
})

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH!, ...env },
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Starts `caracal-fetch dev-sts` and resolves with the issuer it prints. */
function startDevSts(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [bin, 'dev-sts', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    let printed = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString('utf8')
      const issuer = /^ {2}issuer {4}(\S+)$/m.exec(printed)
      if (issuer) resolve(issuer[1]!)
    })
    child.on('exit', (code) => reject(new Error(`dev-sts exited with ${code}: ${printed}`)))
  })
}

test('dev-sts and mint in separate processes: the printed mandate verifies against the served JWKS', async () => {
  const issuer = await startDevSts(['--port', '0', '--zone', 'zone-cli', '--aud', 'resource://cli'])
  const minted = run(['mint', '--scope', 'billing:read'], { CARACAL_STS_URL: issuer })
  expect(minted.stderr).toBe('')
  expect(minted.code).toBe(0)
  const token = minted.stdout.trim()
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  const handler = withCaracal(() => new Response('ok'), {
    issuer,
    zoneId: 'zone-cli',
    audience: 'resource://cli',
    revocations: new MemoryRevocationStore(),
    requiredScopes: ['billing:read'],
  })
  const response = await handler(new Request('http://localhost/', { headers: { authorization: `Bearer ${token}` } }))
  expect(response.status).toBe(200)
})

test('usage mistakes exit 2 with a one-line message; an unreachable dev STS exits 1', () => {
  const unknown = run(['mint', '--scopes', 'a'])
  expect(unknown.code).toBe(2)
  expect(unknown.stderr).toBe('caracal-fetch mint: unknown flag --scopes; did you mean --scope?\n')
  const command = run(['mintt'])
  expect(command.code).toBe(2)
  expect(command.stderr).toMatch(/^caracal-fetch: unknown command "mintt"\n[\s\S]*dev-sts[\s\S]*mint/)
  const unreachable = run(['mint', '--sts', 'http://127.0.0.1:1'])
  expect(unreachable.code).toBe(1)
  expect(unreachable.stderr).toMatch(/^caracal-fetch mint: no dev STS answers at http:\/\/127\.0\.0\.1:1 /)
  expect(unreachable.stderr).not.toMatch(/\n\s+at /)
  const help = run([])
  expect(help.code).toBe(0)
  expect(help.stdout).toMatch(/^Usage: caracal-fetch <command>/)
})
