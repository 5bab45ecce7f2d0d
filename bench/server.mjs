// Serves one bench variant on 127.0.0.1:<port> in whichever runtime runs this file (Node, Bun,
// Deno), then prints `ready <port>`. Usage: <runtime> bench/server.mjs <variant> <port> <fixture.json>
import { makeHandler } from './handlers.mjs'

const [variant, portArg, fixturePath] = globalThis.Deno?.args ?? process.argv.slice(2)
const fixture = JSON.parse(
  globalThis.Deno
    ? await Deno.readTextFile(fixturePath)
    : await (await import('node:fs/promises')).readFile(fixturePath, 'utf8'),
)
const handler = await makeHandler(variant, fixture)
const port = Number(portArg)

if (globalThis.Bun) {
  Bun.serve({ port, hostname: '127.0.0.1', fetch: handler })
} else if (globalThis.Deno) {
  Deno.serve({ port, hostname: '127.0.0.1', onListen() {} }, handler)
} else {
  const { serve } = await import('@hono/node-server')
  await new Promise((resolve) => serve({ port, hostname: '127.0.0.1', fetch: handler }, resolve))
}
console.log(`ready ${port}`)
