/**
 * Serves a Fetch handler over HTTP with the runtime's own server: `Deno.serve`, `Bun.serve`, or
 * `node:http` on Node. Only the testing kit's `listen()` reaches this module; the portable library
 * never does. The runtime globals are declared here, narrowly, because src is compiled with no
 * runtime's types.
 */

type FetchHandler = (request: Request) => Promise<Response>

export interface ServeOptions {
  readonly hostname: string
  readonly port: number
}

export interface LoopbackServer {
  /** The port actually bound (the chosen one when `port` was 0). */
  readonly port: number
  close(): Promise<void>
}

interface DenoLike {
  serve(
    options: { hostname: string; port: number; signal: AbortSignal; onListen?: () => void },
    handler: FetchHandler,
  ): { addr: { port: number }; finished: Promise<void> }
}

interface BunLike {
  serve(options: { hostname: string; port: number; fetch: FetchHandler }): {
    port: number
    stop(closeActiveConnections?: boolean): Promise<void> | void
  }
}

interface NodeRequest extends AsyncIterable<Uint8Array<ArrayBuffer>> {
  method?: string
  url?: string
  headers: Record<string, string | string[] | undefined>
}

interface NodeResponse {
  writeHead(status: number, headers: [string, string][]): void
  end(body?: Uint8Array): void
}

interface NodeServer {
  listen(port: number, hostname: string, onListening: () => void): void
  once(event: 'error', listener: (error: Error) => void): void
  address(): { port: number } | string | null
  close(onClosed: () => void): void
  closeAllConnections?(): void
}

interface NodeHttp {
  createServer(listener: (request: NodeRequest, response: NodeResponse) => void): NodeServer
}

/** Starts `handler` on `hostname:port`; rejects with the runtime's error when it cannot bind. */
export async function serveOnLoopback(handler: FetchHandler, options: ServeOptions): Promise<LoopbackServer> {
  const runtime = globalThis as { Deno?: DenoLike; Bun?: BunLike }
  try {
    // Deno and Bun also offer node:http, but their own servers are the Fetch API natively.
    if (typeof runtime.Deno?.serve === 'function') return serveDeno(runtime.Deno, handler, options)
    if (typeof runtime.Bun?.serve === 'function') return serveBun(runtime.Bun, handler, options)
    return await serveNode(handler, options)
  } catch (error) {
    throw new Error(`dev.listen: cannot listen on ${options.hostname}:${options.port}: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

function serveDeno(deno: DenoLike, handler: FetchHandler, options: ServeOptions): LoopbackServer {
  const stop = new AbortController()
  const server = deno.serve({ ...options, signal: stop.signal, onListen() {} }, handler)
  return {
    port: server.addr.port,
    async close() {
      stop.abort()
      await server.finished
    },
  }
}

function serveBun(bun: BunLike, handler: FetchHandler, options: ServeOptions): LoopbackServer {
  const server = bun.serve({ ...options, fetch: handler })
  return {
    port: server.port,
    async close() {
      await server.stop(true)
    },
  }
}

async function serveNode(handler: FetchHandler, options: ServeOptions): Promise<LoopbackServer> {
  // A specifier bundlers cannot see: a Workers bundle of the testing kit must not try to resolve
  // node:http, which only listen() on Node needs.
  const specifier = 'node:http'
  let http: NodeHttp
  try {
    http = (await import(/* @vite-ignore */ specifier)) as NodeHttp
  } catch (error) {
    throw new Error('this runtime has no Deno.serve, Bun.serve or node:http; use dev.fetch in process instead', {
      cause: error,
    })
  }
  const server = http.createServer((req, res) => {
    answer(handler, req, options).then(
      async (response) => {
        res.writeHead(response.status, [...response.headers])
        res.end(new Uint8Array(await response.arrayBuffer()))
      },
      () => {
        res.writeHead(500, [['content-type', 'application/json']])
        res.end(new TextEncoder().encode('{"error":"server_error"}'))
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.hostname, resolve)
  })
  const address = server.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive connections from fetch() would otherwise hold close() open.
        server.closeAllConnections?.()
      }),
  }
}

/** One node:http request as a Fetch Request, through `handler`. */
async function answer(handler: FetchHandler, req: NodeRequest, options: ServeOptions): Promise<Response> {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one)
  }
  const method = req.method ?? 'GET'
  const chunks: Uint8Array<ArrayBuffer>[] = []
  for await (const chunk of req) chunks.push(chunk)
  const body = method === 'GET' || method === 'HEAD' ? null : new Blob(chunks)
  const host = headers.get('host') ?? `${options.hostname}:${options.port}`
  return handler(new Request(new URL(req.url ?? '/', `http://${host}`), { method, headers, body }))
}
