import { describe, expect, test } from 'vitest'
import { inspectJsonRpc, toolCallsOf } from '../../../src/mcp/json-rpc.js'

const call = (name: unknown, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request('https://mcp.example/mcp', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
}

/** A body that arrives in pieces with no Content-Length, as a chunked upload does. */
function streamOf(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece))
      controller.close()
    },
  })
}

describe('toolCallsOf', () => {
  test('one tools/call names its tool; other methods name none', () => {
    expect(toolCallsOf(call('echo'))).toEqual({ kind: 'json-rpc', toolNames: ['echo'] })
    expect(toolCallsOf({ jsonrpc: '2.0', id: 1, method: 'tools/list' })).toEqual({ kind: 'json-rpc', toolNames: [] })
    expect(toolCallsOf({ jsonrpc: '2.0', method: 'notifications/initialized' })).toEqual({
      kind: 'json-rpc',
      toolNames: [],
    })
  })

  test('a batch lists every tools/call, in order, repeats kept', () => {
    const batch = [call('a', 1), { jsonrpc: '2.0', id: 2, method: 'ping' }, call('b', 3), call('a', 4)]
    expect(toolCallsOf(batch)).toEqual({ kind: 'json-rpc', toolNames: ['a', 'b', 'a'] })
  })

  test('a tools/call beside junk in a batch still counts (a lenient server may run it)', () => {
    expect(toolCallsOf([5, 'x', null, call('admin')])).toEqual({ kind: 'json-rpc', toolNames: ['admin'] })
  })

  test('a response from the client is JSON-RPC with no tool call', () => {
    expect(toolCallsOf({ jsonrpc: '2.0', id: 7, result: {} })).toEqual({ kind: 'json-rpc', toolNames: [] })
    expect(toolCallsOf({ jsonrpc: '2.0', id: 7, error: { code: 1, message: 'x' } })).toEqual({
      kind: 'json-rpc',
      toolNames: [],
    })
  })

  test('a tools/call without a string name names no tool', () => {
    expect(toolCallsOf(call(42))).toEqual({ kind: 'json-rpc', toolNames: [] })
    expect(toolCallsOf({ jsonrpc: '2.0', id: 1, method: 'tools/call' })).toEqual({ kind: 'json-rpc', toolNames: [] })
    expect(toolCallsOf({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: null })).toEqual({
      kind: 'json-rpc',
      toolNames: [],
    })
  })

  test('values that are not JSON-RPC', () => {
    for (const value of [null, 3, 'tools/call', [], [1, 2], { hello: 'world' }, { method: 5 }, [[call('a')]]]) {
      expect(toolCallsOf(value), JSON.stringify(value)).toEqual({ kind: 'not-json-rpc' })
    }
  })
})

describe('inspectJsonRpc', () => {
  test('reads the tools of a POST body and leaves the body unread for the handler', async () => {
    const text = JSON.stringify([call('echo', 1), call('admin_reset', 2)])
    const request = post(text)
    expect(await inspectJsonRpc(request)).toEqual({ kind: 'json-rpc', toolNames: ['echo', 'admin_reset'] })
    expect(request.bodyUsed).toBe(false)
    expect(await request.text()).toBe(text)
  })

  test('a streamed body without Content-Length is inspected and stays whole for the handler', async () => {
    const text = JSON.stringify(call('echo'))
    const request = post(streamOf(text.slice(0, 10), text.slice(10)))
    expect(request.headers.get('content-length')).toBeNull()
    expect(await inspectJsonRpc(request)).toEqual({ kind: 'json-rpc', toolNames: ['echo'] })
    expect(await request.json()).toEqual(call('echo'))
  })

  test('a leading BOM is dropped, as Request.json() does', async () => {
    expect(await inspectJsonRpc(post('\uFEFF' + JSON.stringify(call('echo'))))).toEqual({
      kind: 'json-rpc',
      toolNames: ['echo'],
    })
  })

  test('no body, an empty body, or text that is not JSON: not JSON-RPC, and the body is untouched', async () => {
    expect(await inspectJsonRpc(new Request('https://mcp.example/mcp'))).toEqual({ kind: 'not-json-rpc' })
    expect(await inspectJsonRpc(post(''))).toEqual({ kind: 'not-json-rpc' })
    const request = post('{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "x"')
    expect(await inspectJsonRpc(request)).toEqual({ kind: 'not-json-rpc' })
    expect(await request.text()).toBe('{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "x"')
  })

  test('a body over the bound is too large, whether declared or streamed', async () => {
    const body = JSON.stringify(call('x'.repeat(100)))
    expect(await inspectJsonRpc(post(body), body.length)).toEqual({ kind: 'json-rpc', toolNames: ['x'.repeat(100)] })
    expect(await inspectJsonRpc(post(body), body.length - 1)).toEqual({ kind: 'too-large' })
    expect(await inspectJsonRpc(post(streamOf(body.slice(0, 50), body.slice(50))), 60)).toEqual({ kind: 'too-large' })
  })

  test('a declared Content-Length over the bound is too large before any byte is read', async () => {
    let pulled = 0
    // highWaterMark 0: the stream is pulled only when someone reads it.
    const endless = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled++
          controller.enqueue(new Uint8Array(1024))
        },
      },
      { highWaterMark: 0 },
    )
    const request = post(endless, { 'content-length': String(2 * 1024 * 1024) })
    expect(await inspectJsonRpc(request)).toEqual({ kind: 'too-large' })
    expect(pulled).toBe(0)
    expect(request.bodyUsed).toBe(false)
  })

  test('a Content-Encoding other than identity is refused unread: a decoding layer behind could run unchecked calls', async () => {
    const gzipped = post(JSON.stringify(call('admin')), { 'content-encoding': 'gzip' })
    expect(await inspectJsonRpc(gzipped)).toEqual({ kind: 'encoded' })
    expect(gzipped.bodyUsed).toBe(false)
    expect(await inspectJsonRpc(post(JSON.stringify(call('a')), { 'content-encoding': ' Identity ' }))).toEqual({
      kind: 'json-rpc',
      toolNames: ['a'],
    })
  })

  test('the default bound is 1 MiB', async () => {
    const padding = ' '.repeat(1024 * 1024 - JSON.stringify(call('a')).length)
    expect(await inspectJsonRpc(post(JSON.stringify(call('a')) + padding))).toEqual({
      kind: 'json-rpc',
      toolNames: ['a'],
    })
    expect(await inspectJsonRpc(post(JSON.stringify(call('a')) + padding + ' '))).toEqual({ kind: 'too-large' })
  })
})
