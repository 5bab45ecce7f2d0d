/**
 * Revocation mid-session with an open GET SSE stream: `revalidate` polling (the documented
 * `endStreamOnRefusal` snippet) ends the stream, and the SDK client's reconnect is refused 401.
 */
import { expect, test } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { withCaracal } from 'caracal-fetch'
import { endStreamOnRefusal } from '../../../docs/snippets/mcp/end-stream-on-refusal.js'
import { eventually, harnessPerTest } from './harness.js'

const startMcpHarness = harnessPerTest()

test('the open SSE stream ends once the mandate is revoked; the reconnect gets 401 session_revoked', async () => {
  const ended: string[] = []
  const h = await startMcpHarness((handler, options) =>
    withCaracal(async (request: Request) => {
      const response = endStreamOnRefusal(request, await handler(request), 25)
      if (request.method === 'GET' && response.body !== null) {
        // Observe the end of the stream the client reads, without changing it.
        const [client, watcher] = response.body.tee()
        void watcher
          .pipeTo(new WritableStream())
          .then(() => ended.push('stream ended'))
          .catch(() => ended.push('stream cancelled'))
        return new Response(client, { status: response.status, headers: response.headers })
      }
      return response
    }, options),
  )
  const token = await h.mint({ sid: 'sid-sse' })
  const transport = new StreamableHTTPClientTransport(h.mcpUrl, {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    reconnectionOptions: {
      initialReconnectionDelay: 50,
      maxReconnectionDelay: 50,
      reconnectionDelayGrowFactor: 1,
      maxRetries: 1,
    },
  })
  const errors: unknown[] = []
  transport.onerror = (error) => void errors.push(error)
  const client = new Client({ name: 'caracal-test-client', version: '1.0.0' })
  await client.connect(transport)
  await eventually(() => h.exchanges.some((e) => e.method === 'GET' && e.status === 200), 'the GET SSE stream')
  // Several revalidation rounds pass with the stream open.
  await new Promise((resolve) => setTimeout(resolve, 200))
  expect(ended).toEqual([])
  expect(h.exchanges.filter((e) => e.method === 'GET')).toHaveLength(1)

  h.revocations.markRevoked('sid-sse')
  await eventually(() => ended.length > 0, 'the SSE stream to end')
  expect(ended).toEqual(['stream ended'])
  await eventually(() => h.exchanges.some((e) => e.method === 'GET' && e.status === 401), 'the refused reconnect')
  const reconnect = h.exchanges.find((e) => e.method === 'GET' && e.status === 401)!
  expect(reconnect.challenge).toContain('error="session_revoked"')
  await client.close()
})
