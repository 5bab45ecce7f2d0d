/** Stream message -> store writes, and stream replies read defensively (no I/O). */
import { describe, expect, test } from 'vitest'
import { claimReply, entryAgeMs, readReply } from '../../../src/feed/entries.js'
import { writesFor } from '../../../src/feed/messages.js'

const TTL = 1000
const REVOKE = 'caracal.sessions.revoke'
const EPOCH = 'caracal.delegations.invalidate'

describe('revocation messages', () => {
  test('every anchor field is written once, in order, de-duplicated', () => {
    const out = writesFor(
      REVOKE,
      {
        session_id: 'a',
        sid: 'b',
        root_sid: 'a',
        agent_session_id: 'c',
        delegation_edge_id: 'd',
        zone_id: 'z',
        reason: 'x',
      },
      TTL,
    )
    expect(out.writes).toEqual(['a', 'b', 'c', 'd'].map((anchor) => ({ kind: 'revoke', anchor, ttlMs: TTL })))
  })

  test('a delegation-edge-only message (no session_id) revokes the edge', () => {
    expect(writesFor(REVOKE, { delegation_edge_id: 'edge-1', zone_id: 'z' }, TTL).writes).toEqual([
      { kind: 'revoke', anchor: 'edge-1', ttlMs: TTL },
    ])
  })

  test.each([
    ['no anchor field', { zone_id: 'z', reason: 'r' }],
    ['only empty anchors', { session_id: '', sid: '' }],
    ['an anchor that names the epoch key', { session_id: 'delegation-epoch:zone-1' }],
    ['an anchor no store key can hold', { session_id: 'x'.repeat(401) }],
  ])('%s is missing_revocation_anchor', (_, fields) => {
    expect(writesFor(REVOKE, fields, TTL).reason).toBe('missing_revocation_anchor')
  })
})

describe('delegation messages', () => {
  test('a decimal epoch raises the zone', () => {
    expect(writesFor(EPOCH, { zone_id: 'z', epoch: '42', event: 'edge_revoke' }, TTL).writes).toEqual([
      { kind: 'epoch', zoneId: 'z', epoch: 42, ttlMs: TTL },
    ])
  })

  test.each([
    ['no zone', { epoch: '1' }],
    ['an empty zone', { zone_id: '', epoch: '1' }],
    ['no epoch', { zone_id: 'z' }],
    ['a negative epoch', { zone_id: 'z', epoch: '-1' }],
    ['a decimal point', { zone_id: 'z', epoch: '1.5' }],
    ['an exponent', { zone_id: 'z', epoch: '1e3' }],
    ['spaces', { zone_id: 'z', epoch: ' 1' }],
    ['beyond safe integers', { zone_id: 'z', epoch: '9007199254740993' }],
  ])('%s is invalid_delegation_epoch', (_, fields) => {
    expect(writesFor(EPOCH, fields, TTL).reason).toBe('invalid_delegation_epoch')
  })
})

describe('stream replies', () => {
  test('RESP2 and RESP3 shapes of XREADGROUP read the same', () => {
    const entries = [['1-0', ['a', '1', 'b', '']]]
    const resp2 = readReply([[REVOKE, entries]])
    const resp3 = readReply({ [REVOKE]: entries })
    const map = readReply(new Map([[REVOKE, entries]]))
    for (const r of [resp2, resp3, map]) {
      expect(r.get(REVOKE)).toEqual([{ id: '1-0', fields: { a: '1', b: '' }, raw: ['a', '1', 'b', ''] }])
    }
  })

  test.each([
    ['null', null],
    ['a number', 5],
    ['a string', 'OK'],
    ['pairs without entries', [[REVOKE, 'x']]],
    ['entries without ids', [[REVOKE, [[null, ['a', '1']], ['not-an-id', ['a', '1']], 'junk']]]],
  ])('a reply of %s reads as no entries, without throwing', (_, reply) => {
    expect([...readReply(reply).values()].flat()).toEqual([])
  })

  test.each([
    ['an odd field list', ['a', '1', 'b']],
    ['a repeated field', ['a', '1', 'a', '2']],
    ['a non-string value', ['a', 1]],
    ['no field list', null],
  ])('%s is an entry with no fields (dead-lettered, still acknowledged)', (_, list) => {
    const [entry] = readReply([[REVOKE, [['5-1', list]]]]).get(REVOKE)!
    expect(entry!.id).toBe('5-1')
    expect(entry!.fields).toBeUndefined()
  })

  test('XAUTOCLAIM: cursor and entries; an unreadable cursor ends paging', () => {
    expect(claimReply(['7-0', [['1-0', ['a', 'b']]], []])).toEqual({
      cursor: '7-0',
      entries: [{ id: '1-0', fields: { a: 'b' }, raw: ['a', 'b'] }],
    })
    expect(claimReply(['garbage', [], []]).cursor).toBe('0-0')
    expect(claimReply(null)).toEqual({ cursor: '0-0', entries: [] })
  })

  test('byte values (a client returning buffers) are read as UTF-8', () => {
    const enc = (s: string) => new TextEncoder().encode(s)
    const [entry] = readReply([[REVOKE, [[enc('1-1'), [enc('session_id'), enc('s-ü')]]]]]).get(REVOKE)!
    expect(entry!.fields).toEqual({ session_id: 's-ü' })
  })

  test('lag comes from the id time and is never negative', () => {
    expect(entryAgeMs('1000-0', 1500)).toBe(500)
    expect(entryAgeMs('9000-0', 1500)).toBe(0)
  })
})
