/**
 * A minimal RESP2 client over node:net, for tests: enough to drive a real redis-server directly
 * (interop writes, raw reads) and to back the Upstash REST shim. Replies are decoded to plain
 * values; a Redis error reply inside an array (EXEC) stays in place as a `RespError`.
 */
import { connect, type Socket } from 'node:net'

/** A Redis error reply (`-ERR ...`). */
export class RespError extends Error {
  override readonly name = 'RespError'
}

/** A decoded reply: bulk and simple strings as strings, integers as numbers, nil as null. */
export type RespValue = string | number | null | RespError | RespValue[]

export type RespArg = string | number | boolean

interface Pending {
  resolve(value: RespValue): void
  reject(error: Error): void
}

const CRLF = Buffer.from('\r\n')

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly RespArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), 'utf8')
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF)
  }
  return Buffer.concat(parts)
}

/** Parses one reply at `offset`; undefined when the buffer does not hold a whole reply yet. */
export function parseReply(buf: Buffer, offset: number): { value: RespValue; next: number } | undefined {
  if (offset >= buf.length) return undefined
  const eol = buf.indexOf(CRLF, offset)
  if (eol === -1) return undefined
  const type = String.fromCharCode(buf[offset]!)
  const line = buf.toString('utf8', offset + 1, eol)
  const after = eol + 2
  switch (type) {
    case '+':
      return { value: line, next: after }
    case '-':
      return { value: new RespError(line), next: after }
    case ':':
      return { value: Number(line), next: after }
    case '$': {
      const len = Number(line)
      if (len < 0) return { value: null, next: after }
      if (buf.length < after + len + 2) return undefined
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 }
    }
    case '*': {
      const count = Number(line)
      if (count < 0) return { value: null, next: after }
      const items: RespValue[] = []
      let next = after
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next)
        if (item === undefined) return undefined
        items.push(item.value)
        next = item.next
      }
      return { value: items, next }
    }
    default:
      throw new Error(`RESP: unexpected reply type ${JSON.stringify(type)}`)
  }
}

/**
 * One connection to redis-server, opened on first use and reopened after it drops (so a test can
 * stop and restart the server under it). Commands are pipelined; replies arrive in order.
 */
export class RespClient {
  readonly #port: number
  readonly #host: string
  #socket: Socket | undefined
  #buffer: Buffer = Buffer.alloc(0)
  #pending: Pending[] = []

  constructor(port: number, host = '127.0.0.1') {
    this.#port = port
    this.#host = host
  }

  /** Sends one command; resolves with its reply, rejects on an error reply or a dropped connection. */
  async command(...args: RespArg[]): Promise<RespValue> {
    const [reply] = await this.#send([args])
    if (reply instanceof RespError) throw reply
    return reply!
  }

  /**
   * Sends commands in one write, so no other command of this client lands between them (MULTI ...
   * EXEC stays contiguous). Error replies are returned in place, not thrown.
   */
  batch(commands: readonly (readonly RespArg[])[]): Promise<RespValue[]> {
    return this.#send(commands)
  }

  /** Closes the connection; pending commands reject. */
  close(): void {
    this.#socket?.destroy()
    this.#drop(new Error('RESP client closed'))
  }

  #send(commands: readonly (readonly RespArg[])[]): Promise<RespValue[]> {
    const socket = this.#connection()
    const replies = commands.map(
      () =>
        new Promise<RespValue>((resolve, reject) => {
          this.#pending.push({ resolve, reject })
        }),
    )
    socket.write(Buffer.concat(commands.map(encodeCommand)))
    return Promise.all(replies)
  }

  #connection(): Socket {
    if (this.#socket !== undefined) return this.#socket
    const socket = connect({ port: this.#port, host: this.#host })
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
      let offset = 0
      for (;;) {
        const parsed = parseReply(this.#buffer, offset)
        if (parsed === undefined) break
        offset = parsed.next
        this.#pending.shift()?.resolve(parsed.value)
      }
      this.#buffer = this.#buffer.subarray(offset)
    })
    const fail = (error: Error): void => {
      if (this.#socket === socket) this.#drop(error)
    }
    socket.on('error', (error) => fail(error))
    socket.on('close', () => fail(new Error(`redis connection to ${this.#host}:${this.#port} closed`)))
    this.#socket = socket
    return socket
  }

  #drop(error: Error): void {
    this.#socket = undefined
    this.#buffer = Buffer.alloc(0)
    const pending = this.#pending
    this.#pending = []
    for (const p of pending) p.reject(error)
  }
}

/** One command on a fresh connection, closed afterwards: for interop writes and raw reads in tests. */
export async function redisCommand(port: number, ...args: RespArg[]): Promise<RespValue> {
  const client = new RespClient(port)
  try {
    return await client.command(...args)
  } finally {
    client.close()
  }
}
