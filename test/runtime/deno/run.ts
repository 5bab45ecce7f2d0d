/**
 * Runs the portable contract suites inside Deno, against the built package imported by name
 * (node_modules/caracal-fetch -> the local build; see scripts/link-local-build.mjs), plus the cases
 * that need Deno's own server. Prints `deno: N passed, N failed, N skipped`; exits 1 on a failure.
 *
 * Permissions are only loopback networking: no --allow-env, no --allow-read, no --allow-run.
 *
 *   deno run --no-prompt --allow-net=127.0.0.1 test/runtime/deno/run.ts [name filter]
 */
import { runCases } from '../run-cases.js'
import { servedCases, type ServingRuntime } from '../served.js'
import { portableSuites } from '../suites.js'
import { websocketCases } from '../websocket.js'
import { envPermissionCases } from './env-permission.js'
import { denoUpgrades } from './websocket.js'
import { testingKitCases } from '../testing-kit.js'

declare const Deno: {
  version: { deno: string }
  args: string[]
  exit(code: number): never
  serve(
    options: { port: number; hostname: string; signal: AbortSignal; onListen?: () => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): { addr: { port: number }; finished: Promise<void> }
}

const deno: ServingRuntime = {
  name: 'Deno.serve',
  async serve(handler) {
    const stop = new AbortController()
    const server = Deno.serve({ port: 0, hostname: '127.0.0.1', signal: stop.signal, onListen() {} }, handler)
    return {
      origin: `http://127.0.0.1:${server.addr.port}`,
      close: async () => {
        stop.abort()
        await server.finished
      },
    }
  },
  // Deno passes ServeHandlerInfo: { remoteAddr, completed }.
  isExtraArgument: (extra) =>
    typeof extra === 'object' && extra !== null && typeof (extra as { remoteAddr?: unknown }).remoteAddr === 'object',
}

const filter = Deno.args[0]
const summary = await runCases(
  'deno',
  [
    ...portableSuites(),
    ...servedCases(deno),
    ...websocketCases(denoUpgrades),
    ...testingKitCases('Deno'),
    ...envPermissionCases,
  ],
  filter === undefined ? {} : { filter },
)
console.log(`(Deno ${Deno.version.deno})`)
Deno.exit(summary.failed > 0 || summary.passed === 0 ? 1 : 0)
