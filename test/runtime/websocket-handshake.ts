/**
 * A WebSocket handshake over a raw loopback socket (node:net, which Node, Bun and Deno all have),
 * so a test sees the exact status a server answers (a WebSocket client only reports "failed") and
 * can send `Authorization`, which the WHATWG WebSocket API cannot. After a 101 it sends one masked
 * text frame and reads the server's answer, proving the connection is open both ways.
 */
import { connect, type Socket } from 'node:net'

export interface HandshakeResult {
  readonly status: number
  /** Response headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>
  /** The body of a refusal (empty for 101). */
  readonly body: string
  /** After a 101: the text the server sent back for `message`. */
  readonly reply: string | undefined
}

// RFC 6455 section 1.3: the server proves it read the key by hashing it with this GUID.
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** The Sec-WebSocket-Accept a server must answer for `key`. */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(key + GUID))
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
}

/** Opens `ws://origin/path` with `headers`; after a 101, sends `message` and waits for one text frame back. */
export async function handshake(
  origin: string,
  path: string,
  headers: Record<string, string>,
  message = 'ping',
): Promise<HandshakeResult> {
  const url = new URL(origin)
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))
  const socket = connect(Number(url.port), url.hostname)
  const reader = bytesOf(socket)
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${url.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ]
    socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    const head = new TextDecoder().decode(await reader.until(endOfHead))
    const [statusLine, ...fields] = head.split('\r\n').filter((line) => line.length > 0)
    const status = Number(statusLine?.split(' ')[1])
    const responseHeaders: Record<string, string> = {}
    for (const field of fields) {
      const colon = field.indexOf(':')
      responseHeaders[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim()
    }
    if (status !== 101) {
      const length = Number(responseHeaders['content-length'] ?? 0)
      const body = length > 0 ? new TextDecoder().decode(await reader.take(length)) : ''
      return { status, headers: responseHeaders, body, reply: undefined }
    }
    if (responseHeaders['sec-websocket-accept'] !== (await acceptFor(key))) {
      throw new Error(`bad Sec-WebSocket-Accept: ${responseHeaders['sec-websocket-accept']}`)
    }
    socket.write(maskedTextFrame(message))
    const [opcode, length] = await reader.take(2)
    if ((opcode! & 0x0f) !== 1 || length! >= 126) throw new Error(`unexpected frame ${opcode} ${length}`)
    const reply = new TextDecoder().decode(await reader.take(length!))
    socket.write(new Uint8Array([0x88, 0x80, 0, 0, 0, 0])) // close, masked, no payload
    return { status, headers: responseHeaders, body: '', reply }
  } finally {
    socket.destroy()
  }
}

/** A client frame (RFC 6455 section 5.2): FIN + text, masked, payload under 126 bytes. */
function maskedTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text)
  const mask = crypto.getRandomValues(new Uint8Array(4))
  const frame = new Uint8Array(6 + payload.length)
  frame.set([0x81, 0x80 | payload.length, ...mask])
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!
  return frame
}

/** Index just past the blank line that ends an HTTP head, or -1. */
function endOfHead(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i - 3] === 13 && bytes[i - 2] === 10 && bytes[i - 1] === 13 && bytes[i] === 10) return i + 1
  }
  return -1
}

/** Buffers what a socket receives and hands it out by length or by delimiter. */
function bytesOf(socket: Socket) {
  let buffered = new Uint8Array(0)
  let wake: (() => void) | undefined
  let ended: Error | undefined
  socket.on('data', (chunk: Uint8Array) => {
    const next = new Uint8Array(buffered.length + chunk.length)
    next.set(buffered)
    next.set(chunk, buffered.length)
    buffered = next
    wake?.()
  })
  const stop = (error: Error) => {
    ended ??= error
    wake?.()
  }
  socket.on('end', () => stop(new Error('the server closed the connection')))
  socket.on('error', stop)
  const more = async (): Promise<void> => {
    if (ended !== undefined) throw ended
    await new Promise<void>((resolve) => (wake = resolve))
    wake = undefined
  }
  const cut = (n: number): Uint8Array => {
    const out = buffered.slice(0, n)
    buffered = buffered.slice(n)
    return out
  }
  return {
    async until(find: (bytes: Uint8Array) => number): Promise<Uint8Array> {
      for (;;) {
        const end = find(buffered)
        if (end !== -1) return cut(end)
        await more()
      }
    },
    async take(n: number): Promise<Uint8Array> {
      while (buffered.length < n) await more()
      return cut(n)
    },
  }
}
