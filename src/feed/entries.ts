/**
 * Reads Redis stream replies defensively. A reply comes from a server, a proxy or a client library
 * we do not control (RESP2 arrays, RESP3 maps, REST JSON), so every shape is checked and anything
 * unexpected becomes a malformed entry or an empty read, never an exception in the feed.
 */

/** One stream entry as read: its id and its fields, or why its field list could not be read. */
export interface StreamEntry {
  readonly id: string
  /** The fields, when the list was a proper set of string pairs with no repeated name. */
  readonly fields: Readonly<Record<string, string>> | undefined
  /** The raw field list, kept for the dead letter's payload. */
  readonly raw: readonly unknown[]
}

/** The reply to an XAUTOCLAIM: entries claimed, and the cursor to continue from (`0-0` when done). */
export interface ClaimedEntries {
  readonly cursor: string
  readonly entries: readonly StreamEntry[]
}

const ENTRY_ID = /^[0-9]{1,20}-[0-9]{1,20}$/

/** Whether `id` looks like a stream entry id (`<ms>-<seq>`). */
export function isEntryId(id: unknown): id is string {
  return typeof id === 'string' && ENTRY_ID.test(id)
}

/** Milliseconds since the entry was added, from the time part of its id (0 when in the future). */
export function entryAgeMs(id: string, now: number): number {
  const ms = Number(id.slice(0, id.indexOf('-')))
  return Number.isFinite(ms) ? Math.max(0, now - ms) : 0
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  // A client configured to return buffers hands back bytes.
  if (value instanceof Uint8Array) return new TextDecoder('utf-8', { fatal: false }).decode(value)
  return undefined
}

function fieldsOf(list: readonly unknown[]): Record<string, string> | undefined {
  if (list.length % 2 !== 0) return undefined
  const fields: Record<string, string> = Object.create(null) as Record<string, string>
  for (let i = 0; i < list.length; i += 2) {
    const name = text(list[i])
    const value = text(list[i + 1])
    // A repeated name makes the signed form ambiguous; the message is refused, not merged.
    if (name === undefined || value === undefined || Object.hasOwn(fields, name)) return undefined
    fields[name] = value
  }
  return fields
}

/** One `[id, [field, value, ...]]` pair; undefined when it has no usable id (it cannot be acknowledged). */
function entryOf(item: unknown): StreamEntry | undefined {
  if (!Array.isArray(item)) return undefined
  const id = text(item[0])
  if (!isEntryId(id)) return undefined
  const list: unknown = item[1]
  // RESP3 clients may hand the field list over as a map.
  const raw = Array.isArray(list)
    ? list
    : list instanceof Map
      ? [...list].flat()
      : typeof list === 'object' && list !== null
        ? Object.entries(list).flat()
        : []
  return {
    id,
    fields: Array.isArray(list) || (typeof list === 'object' && list !== null) ? fieldsOf(raw) : undefined,
    raw,
  }
}

/** The entries of a list of `[id, fields]` items; items without an id are dropped. */
export function entriesOf(items: unknown): StreamEntry[] {
  if (!Array.isArray(items)) return []
  const out: StreamEntry[] = []
  for (const item of items) {
    const entry = entryOf(item)
    if (entry !== undefined) out.push(entry)
  }
  return out
}

/**
 * The reply to XREADGROUP, by stream name: RESP2 `[[stream, entries], ...]`, a RESP3 map (a `Map`
 * or a plain object), or null when nothing arrived.
 */
export function readReply(reply: unknown): Map<string, StreamEntry[]> {
  const out = new Map<string, StreamEntry[]>()
  const add = (name: unknown, items: unknown): void => {
    const stream = text(name)
    if (stream !== undefined) out.set(stream, [...(out.get(stream) ?? []), ...entriesOf(items)])
  }
  if (Array.isArray(reply)) {
    for (const pair of reply) if (Array.isArray(pair)) add(pair[0], pair[1])
  } else if (reply instanceof Map) {
    for (const [name, items] of reply) add(name, items)
  } else if (typeof reply === 'object' && reply !== null) {
    for (const [name, items] of Object.entries(reply)) add(name, items)
  }
  return out
}

/**
 * The reply to XAUTOCLAIM: `[cursor, entries, deletedIds]` (Redis 7) or `[cursor, entries]`
 * (6.2, where a deleted entry is a nil item). An unreadable cursor ends the paging.
 */
export function claimReply(reply: unknown): ClaimedEntries {
  if (!Array.isArray(reply)) return { cursor: '0-0', entries: [] }
  const cursor = text(reply[0])
  return { cursor: isEntryId(cursor) ? cursor : '0-0', entries: entriesOf(reply[1]) }
}
