/**
 * The runtime snippets of the docs (docs/snippets/<name>/), run as a newcomer would: a fresh
 * `npm init -y` project, the snippet's own `install.sh` with `caracal-fetch` resolved to the packed
 * tarball of this build (other packages from the npm cache, or the registry when missing), the
 * snippet's files copied in, then its `start.sh` with CARACAL_* pointing at a loopback dev issuer.
 * Each must answer /healthz 200 without a token, a valid mandate 200 and none 401; the TypeScript
 * ones for Node must also pass `tsc --strict`. The docs quote these files exactly
 * (scripts/check-doc-snippets.mjs), so what is tested here is what readers paste.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startServer, startSmokeInfra, type RunningExample, type SmokeInfra } from '../examples/harness.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const snippets = join(root, 'docs/snippets')
const run = promisify(execFile)

/** npm settings for every install: the cache first, no audit or funding noise. */
const NPM_ENV = {
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

interface SnippetSpec {
  /** The folder under docs/snippets/. */
  readonly name: string
  /** Run `npx tsc -p .` with docs/snippets/node/tsconfig.json before starting it. */
  readonly typecheck?: boolean
  /** Files written into the project before it starts (e.g. wrangler's .dev.vars), from the issuer's env. */
  readonly localFiles?: (env: Readonly<Record<string, string>>) => Record<string, string>
  readonly readyTimeoutMs?: number
  /** Further checks against the running snippet. */
  readonly checks?: (ctx: SnippetContext) => void
}

interface SnippetContext {
  get(path: string, token?: string): Promise<Response>
  infra(): SmokeInfra
  project(): string
}

const SPECS: SnippetSpec[] = [
  { name: 'node', typecheck: true, checks: (ctx) => tryingItLocally(ctx) },
  { name: 'bun' },
  { name: 'deno' },
  {
    name: 'hono',
    typecheck: true,
    checks: ({ get, infra }) => {
      test('requireScopes: /invoices without billing:read is 403, with it 200', async () => {
        const without = await get('/invoices', await infra().dev.mint({ scope: 'other:read' }))
        expect(without.status).toBe(403)
        expect(await without.json()).toMatchObject({ error: 'insufficient_scope' })
        expect((await get('/invoices', await infra().dev.mint({ scope: 'billing:read' }))).status).toBe(200)
      })
    },
  },
  {
    name: 'workers',
    readyTimeoutMs: 120_000,
    // wrangler dev reads local values of the vars from .dev.vars, as the docs say.
    localFiles: (env) => ({
      '.dev.vars': ['CARACAL_STS_URL', 'CARACAL_ZONE_ID', 'CARACAL_AUDIENCE']
        .map((name) => `${name}=${env[name]}\n`)
        .join(''),
    }),
    checks: ({ get, infra, project }) => {
      test('a mandate revoked in the local KV namespace (wrangler kv key put --local) is 401', async () => {
        const sid = `sid-doc-${crypto.randomUUID()}`
        const token = await infra().dev.mint({ sid })
        expect((await get('/', token)).status).toBe(200)
        const put = ['wrangler', 'kv', 'key', 'put', '--local', '--binding', 'REVOCATIONS']
        await run('npx', [...put, `caracal:revoked:sessions:${sid}`, '1'], {
          cwd: project(),
          env: { ...process.env, ...NPM_ENV },
          timeout: 60_000,
        })
        const res = await get('/', token)
        expect(res.status).toBe(401)
        expect(await res.json()).toMatchObject({ error: 'session_revoked' })
      })
    },
  },
]

/**
 * docs/runtimes.md "Trying it locally": the repository's demo as the issuer on its documented port
 * (9000, replaced by a free one), the Node project started with docs/snippets/local/env.sh, and the
 * curl commands of docs/snippets/local/call.sh (ports replaced likewise).
 */
function tryingItLocally({ project }: SnippetContext): void {
  test('trying it locally: the demo issuer, env.sh and call.sh give 200 with a minted mandate, 401 without', async () => {
    const demo = await startServer('npm run demo (scripts/demo.mjs)', 'node', ['scripts/demo.mjs'], {
      cwd: root,
      env: {},
    })
    let server: RunningExample | undefined
    try {
      const demoPort = new URL(demo.origin).port
      const envScript = readFileSync(join(snippets, 'local/env.sh'), 'utf8').replaceAll(':9000/', `:${demoPort}/`)
      const start = readFileSync(join(snippets, 'node/start.sh'), 'utf8')
      server = await startServer('node snippet against the demo issuer', 'sh', ['-ec', `${envScript}${start}`], {
        cwd: project(),
        env: {},
      })
      const call = readFileSync(join(snippets, 'local/call.sh'), 'utf8')
        .replaceAll('127.0.0.1:9000/', `127.0.0.1:${demoPort}/`)
        .replaceAll('localhost:3000/', `localhost:${new URL(server.origin).port}/`)
      expect(call).not.toMatch(/:9000\/|:3000\//)
      const { stdout } = await run('sh', ['-ec', call], { cwd: project(), timeout: 30_000 })
      const statuses = [...stdout.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].map((m) => m[1])
      expect(statuses, `${stdout}\n--- demo ---\n${demo.output()}\n--- server ---\n${server.output()}`).toEqual([
        '200',
        '401',
      ])
      expect(stdout).toMatch(/"sub":/)
      expect(stdout).toMatch(/missing_token/)
    } finally {
      await server?.stop()
      await demo.stop()
    }
  }, 90_000)
}

/** `npm install ... caracal-fetch ...` in a snippet's install.sh, pointed at the tarball instead. */
function withTarball(script: string, tarball: string): string {
  return script.replace(/^(npm (?:install|i) .*?)\bcaracal-fetch\b(?=\s|$)/gm, `$1${tarball}`)
}

let infra: SmokeInfra
const workdir = mkdtempSync(join(tmpdir(), 'caracal-doc-snippets-'))
const only = process.env['SNIPPETS_ONLY']?.split(',')
const specs = SPECS.filter((spec) => only === undefined || only.includes(spec.name))
/** One install per snippet, all started at once (they mostly wait on npm and the disk). */
const installs = new Map<string, Promise<void>>()

/** The fresh project of one snippet: its install.sh with the tarball, then its files. */
async function prepare(spec: SnippetSpec, tarball: string): Promise<void> {
  const dir = join(snippets, spec.name)
  const project = join(workdir, spec.name)
  mkdirSync(project)
  const install = withTarball(readFileSync(join(dir, 'install.sh'), 'utf8'), tarball)
  await run('sh', ['-ec', install], { cwd: project, env: { ...process.env, ...NPM_ENV }, timeout: 170_000 })
  cpSync(dir, project, { recursive: true, filter: (src) => !/\/(install|start)\.sh$/.test(src) })
}

beforeAll(async () => {
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', workdir], { cwd: root })
  const tarball = join(workdir, packed.stdout.trim().split('\n').pop()!)
  for (const spec of specs) {
    const ready = prepare(spec, tarball)
    ready.catch(() => {}) // awaited (and reported) by the snippet's own beforeAll
    installs.set(spec.name, ready)
  }
  infra = await startSmokeInfra()
}, 120_000)

afterAll(async () => {
  await infra?.close()
  rmSync(workdir, { recursive: true, force: true })
})

for (const spec of specs) {
  describe(`docs/snippets/${spec.name}`, () => {
    const dir = join(snippets, spec.name)
    const project = join(workdir, spec.name)
    let server: RunningExample | undefined
    const env = (): Record<string, string> => ({ ...NPM_ENV, ...infra.env })

    beforeAll(async () => {
      await installs.get(spec.name)
      for (const [file, text] of Object.entries(spec.localFiles?.(infra.env) ?? {}))
        writeFileSync(join(project, file), text)
    }, 180_000)

    afterAll(async () => {
      await server?.stop()
    }, 30_000)

    test('the package is installed from the tarball, as an ES module project', () => {
      const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'))
      expect(pkg.type).toBe('module')
      expect(pkg.dependencies['caracal-fetch']).toMatch(/\.tgz$/)
      expect(readdirSync(join(project, 'node_modules/caracal-fetch/dist')).length).toBeGreaterThan(0)
    })

    if (spec.typecheck) {
      test('type-checks under tsc --strict', async () => {
        cpSync(join(snippets, 'node/tsconfig.json'), join(project, 'tsconfig.json'))
        const out = await run('npx', ['tsc', '-p', '.'], { cwd: project, env: process.env, timeout: 60_000 }).catch(
          (error: { stdout?: string; stderr?: string }) => error,
        )
        expect(`${out.stdout ?? ''}${out.stderr ?? ''}`).toBe('')
      })
    }

    test('starts with the documented command; /healthz answers 200 without a token', async () => {
      const command = readFileSync(join(dir, 'start.sh'), 'utf8')
      server = await startServer(`docs/snippets/${spec.name}`, 'sh', ['-ec', command], {
        cwd: project,
        env: env(),
        readyTimeoutMs: spec.readyTimeoutMs ?? 60_000,
      })
      const res = await fetch(`${server.origin}/healthz`)
      expect(res.status).toBe(200)
    }, 150_000)

    const get = (path: string, token?: string): Promise<Response> => {
      if (server === undefined) throw new Error(`docs/snippets/${spec.name} did not start`)
      return fetch(
        `${server.origin}${path}`,
        token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
      )
    }

    test('a valid mandate gets 200 and the handler sees it', async () => {
      const res = await get('/', await infra.dev.mint({ sub: `user-${spec.name}` }))
      const body = await res.text()
      expect(res.status, `${body}\n--- output ---\n${server?.output()}`).toBe(200)
      expect(JSON.parse(body)).toMatchObject({ sub: `user-${spec.name}` })
    })

    test('no mandate gets 401 missing_token', async () => {
      const res = await get('/')
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'missing_token' })
    })

    spec.checks?.({ get, infra: () => infra, project: () => project })
  })
}
