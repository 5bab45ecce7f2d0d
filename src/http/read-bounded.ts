/**
 * Reading a body no further than a byte bound: the JWKS download, the MCP tool-call inspection and
 * the revocation receiver each refuse a body past their limit without buffering the rest.
 */

/** All the bytes of `body`, or undefined as soon as they exceed `maxBytes` (the rest is cancelled). */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      // Not awaited: a tee branch's cancel settles only once the other branch is cancelled too
      // (the MCP inspection reads a clone whose twin is the handler's, left unread).
      reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
