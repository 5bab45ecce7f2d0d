/**
 * Runs the portable contract suites inside Bun, against the built package imported by name
 * (node_modules/caracal-fetch -> the local build; see scripts/link-local-build.mjs), plus the cases
 * that need Bun's own server. Prints `bun: N passed, N failed, N skipped`; exits 1 on a failure.
 *
 *   bun test/runtime/bun/run.ts [name filter]
 */
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { createDevIssuer } from 'caracal-fetch/testing'
import { equal, type ContractCase } from '../../contract/assert.js'
import { DEV_ZONE, trusting } from '../../support/fixture.js'
import { runCases } from '../run-cases.js'
import { servedCases, type ServedHandler, type ServingRuntime } from '../served.js'
import { portableSuites } from '../suites.js'
import { websocketCases } from '../websocket.js'
import { bunUpgrades } from './websocket.js'
import { testingKitCases } from '../testing-kit.js'

declare const Bun: {
  version: string
  resolveSync(specifier: string, from: string): string
  serve(options: { port: number; hostname: string; fetch: ServedHandler; development?: boolean }): {
    port: number
    stop(closeActiveConnections?: boolean): Promise<void>
  }
}

// Bun passes its server as the handler's second argument.
const served = new WeakSet<object>()
const bun: ServingRuntime = {
  name: 'Bun.serve',
  async serve(handler) {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handler })
    served.add(server)
    return { origin: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) }
  },
  isExtraArgument: (extra) => served.has(extra as object),
}

// Quirk: Bun turns a handler's `undefined` into a 2xx of its own ("Welcome to Bun!" 200 in
// development, an empty 204 with NODE_ENV=production) and logs "Expected a Response object" instead
// of answering 500. withCaracal checks the handler's result, so a protected handler that forgot to
// return answers 500 server_misconfigured instead of looking like success.
const quirks: ContractCase[] = [
  {
    // Quirk: Bun applies tsconfig.json `paths` at run time. A `paths` entry for `#signature` (as tsc
    // setups often have) made Bun load src/verify/signature-web.ts instead of the built file, so the
    // tests ran the source rather than what users install. The repo declares the module instead.
    name: 'Bun: the built package resolves its #signature import to the built Web Crypto primitive, not to src',
    async run() {
      const entry = Bun.resolveSync('caracal-fetch', process.cwd())
      equal(/\/dist\/index\.js$/.test(entry), true, `caracal-fetch resolves to dist (${entry})`)
      const signature = Bun.resolveSync('#signature', entry.replace(/index\.js$/, 'verify/verifier.js'))
      equal(signature, entry.replace(/index\.js$/, 'verify/signature-web.js'), 'the #signature import from dist')
    },
  },
  {
    name: "Bun: a handler returning undefined is not reached when refused; when verified it is a 500, not Bun's 204",
    async run() {
      const dev = await createDevIssuer(DEV_ZONE)
      let calls = 0
      const handler = withCaracal(
        ((request: Request) => {
          calls++
          return new URL(request.url).pathname === '/ok' ? new Response('fine') : undefined
        }) as unknown as (request: Request) => Response,
        { ...trusting(dev), revocations: new MemoryRevocationStore() },
      )
      const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handler, development: false })
      try {
        const origin = `http://127.0.0.1:${server.port}`
        const refused = await fetch(`${origin}/bug`)
        equal(refused.status, 401, 'refused before the handler')
        equal(calls, 0, 'handler calls')
        const auth = { authorization: `Bearer ${await dev.mint()}` }
        const buggy = await fetch(`${origin}/bug`, { headers: auth })
        equal(calls, 1, 'the verified request reached the handler')
        equal(buggy.status, 500, "withCaracal answers 500 instead of Bun's empty 204")
        equal(((await buggy.json()) as { error: string }).error, 'server_misconfigured', 'error code')
        equal(buggy.headers.get('www-authenticate'), null, 'not an authentication challenge')
        const after = await fetch(`${origin}/ok`, { headers: auth })
        equal(await after.text(), 'fine', 'the server still serves the next request')
      } finally {
        await server.stop(true)
      }
    },
  },
]

const filter = process.argv[2]
const summary = await runCases(
  'bun',
  [...portableSuites(), ...servedCases(bun), ...websocketCases(bunUpgrades), ...testingKitCases('Bun'), ...quirks],
  filter === undefined ? {} : { filter },
)
console.log(`(Bun ${Bun.version})`)
process.exit(summary.failed > 0 || summary.passed === 0 ? 1 : 0)
