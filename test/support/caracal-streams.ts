/**
 * A stand-in for Caracal's stream producers: plain XADD of the field sets section 6 of
 * caracal-mandates.md lists, signed with the canonical form. The HMAC here is node:crypto's, not
 * the feed's own Web Crypto code, so a test signs independently of what it checks.
 */
import { createHmac } from 'node:crypto'
import { RespClient, type RespValue } from './resp-client.js'

export const SESSIONS = 'caracal.sessions.revoke'
export const DELEGATIONS = 'caracal.delegations.invalidate'
/** A STREAMS_HMAC_KEY for tests (32 random bytes, hex). */
export const TEST_HMAC_KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')

/** `_sig` as a Caracal producer computes it. */
export function caracalSignature(stream: string, fields: Record<string, string>, keyHex = TEST_HMAC_KEY): string {
  let canonical = `${stream}\n`
  for (const key of Object.keys(fields).sort()) if (key !== '_sig') canonical += `${key}=${fields[key]}\n`
  return createHmac('sha256', Buffer.from(keyHex, 'hex')).update(canonical, 'utf8').digest('hex')
}

/** The producer shapes of section 6, with fresh ids; `anchors` are what the feed must revoke. */
export function producerShapes(
  zone = 'zone-1',
): { name: string; stream: string; fields: Record<string, string>; anchors: string[]; epoch?: number }[] {
  const id = () => crypto.randomUUID()
  const [s1, s2, s3, s4, s5, a3, a5, e4, e5] = Array.from({ length: 9 }, id)
  return [
    {
      name: 'grant revoked',
      stream: SESSIONS,
      fields: { outbox_id: id(), zone_id: zone, session_id: s1!, reason: 'grant_revoked', grant_id: id() },
      anchors: [s1!],
    },
    {
      name: 'session revoked',
      stream: SESSIONS,
      fields: { outbox_id: id(), zone_id: zone, session_id: s2!, reason: 'dcr_shutdown' },
      anchors: [s2!],
    },
    {
      name: 'session + agent session',
      stream: SESSIONS,
      fields: { outbox_id: id(), zone_id: zone, session_id: s3!, agent_session_id: a3!, reason: 'x' },
      anchors: [s3!, a3!],
    },
    {
      name: 'delegation edge only',
      stream: SESSIONS,
      fields: { outbox_id: id(), zone_id: zone, delegation_edge_id: e4!, reason: 'delegation_revoked' },
      anchors: [e4!],
    },
    {
      name: 'coordinator delegation revoke',
      stream: SESSIONS,
      fields: {
        outbox_id: id(),
        dedupe_key: `delegation:${e5}`,
        zone_id: zone,
        session_id: s5!,
        agent_session_id: a5!,
        delegation_edge_id: e5!,
        reason: 'delegation_revoked',
      },
      anchors: [s5!, a5!, e5!],
    },
    {
      name: 'edge revoke epoch',
      stream: DELEGATIONS,
      fields: {
        outbox_id: id(),
        dedupe_key: id(),
        event: 'edge_revoke',
        zone_id: zone,
        edge_id: id(),
        source_session_id: id(),
        target_session_id: id(),
        affected_edges: '1',
        epoch: '7',
      },
      anchors: [],
      epoch: 7,
    },
    {
      name: 'edge expire epoch',
      stream: DELEGATIONS,
      fields: {
        outbox_id: id(),
        dedupe_key: id(),
        event: 'edge_expire',
        zone_id: zone,
        affected_edges: '2',
        edge_ids: JSON.stringify([id(), id()]),
        epoch: '9',
      },
      anchors: [],
      epoch: 9,
    },
  ]
}

/** Arguments of `XADD <stream> * field value ...` for `fields`, signed unless `sig` is null. */
export function xaddArgs(
  stream: string,
  fields: Record<string, string>,
  sig?: string | null,
  keyHex?: string,
): string[] {
  const signed = sig === null ? fields : { ...fields, _sig: sig ?? caracalSignature(stream, fields, keyHex) }
  return ['XADD', stream, '*', ...Object.entries(signed).flat()]
}

/** XADDs one message (signed by default) and answers its id. */
export async function publish(
  port: number,
  stream: string,
  fields: Record<string, string>,
  options: { sig?: string | null; keyHex?: string } = {},
): Promise<string> {
  const client = new RespClient(port)
  try {
    return String(await client.command(...xaddArgs(stream, fields, options.sig, options.keyHex)))
  } finally {
    client.close()
  }
}

/** Reads the dead letters of `stream` as `{ source_id, reason, payload }`. */
export async function deadLetters(port: number, stream: string): Promise<Record<string, string>[]> {
  const client = new RespClient(port)
  try {
    const entries = (await client.command('XRANGE', `${stream}.dead`, '-', '+')) as [string, string[]][]
    return entries.map(([, list]) =>
      Object.fromEntries(Array.from({ length: list.length / 2 }, (_, i) => [list[2 * i], list[2 * i + 1]])),
    )
  } finally {
    client.close()
  }
}

/** How many entries of `stream` the group has delivered and not acknowledged. */
export async function pendingCount(port: number, stream: string, group = 'caracal-fetch'): Promise<number> {
  const client = new RespClient(port)
  try {
    const reply = (await client.command('XPENDING', stream, group)) as RespValue[]
    return Number(reply[0])
  } finally {
    client.close()
  }
}
