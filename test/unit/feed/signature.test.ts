/**
 * The `_sig` check against Caracal's own vectors (upstream) and the derived ones on the real
 * stream names, plus the refusals the canonical form needs (malformed `_sig`, newline, short key).
 */
import { describe, expect, test } from 'vitest'
import derived from '../../fixtures/upstream-vectors/derived-stream-sig.vectors.json' with { type: 'json' }
import upstream from '../../fixtures/upstream-vectors/fixtures/stream-sig-canonicalize.vectors.json' with { type: 'json' }
import fixture from '../../fixtures/upstream-vectors/fixtures/revocation-event.session.valid.json' with { type: 'json' }
import { canonicalForm, decodeHmacKey, StreamSignature } from '../../../src/feed/signature.js'

interface Vector {
  description: string
  stream: string
  values: Record<string, string | null>
  expected_canonical: string
  hmac_key_hex: string
  expected_sig_hex: string
}

const signer = (hex: string): StreamSignature => new StreamSignature(decodeHmacKey('test', hex))
const withoutNulls = (values: Record<string, string | null>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== null))

describe.each([
  ['upstream', upstream as Vector[]],
  ['derived', derived as Vector[]],
])('%s vectors', (_, vectors) => {
  test.each(vectors.map((v) => [v.description, v] as const))('%s', async (_, v) => {
    expect(canonicalForm(v.stream, v.values)).toBe(v.expected_canonical)
    const sig = signer(v.hmac_key_hex)
    expect(await sig.sign(v.stream, v.values)).toBe(v.expected_sig_hex)
    const signed = { ...withoutNulls(v.values), _sig: v.expected_sig_hex }
    // A value with a newline is refused even though its MAC is right: the form does not escape it.
    const newline = Object.values(v.values).some((x) => typeof x === 'string' && x.includes('\n'))
    expect(await sig.verify(v.stream, signed)).toBe(!newline)
  })
})

const KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'

describe('StreamSignature.verify', () => {
  test("the upstream fixture's placeholder _sig does not verify; its re-signed form does", async () => {
    const sig = signer(KEY)
    expect(await sig.verify('caracal.sessions.revoke', fixture)).toBe(false)
    const resigned = { ...fixture, _sig: (derived as Vector[])[0]!.expected_sig_hex }
    expect(await sig.verify('caracal.sessions.revoke', resigned)).toBe(true)
  })

  test('a signature does not verify on the other stream', async () => {
    const v = (derived as Vector[]).find((x) => x.description.startsWith('same fields as vector 2'))!
    const fields = { ...withoutNulls(v.values), _sig: v.expected_sig_hex }
    expect(await signer(KEY).verify(v.stream, fields)).toBe(true)
    expect(await signer(KEY).verify('caracal.sessions.revoke', fields)).toBe(false)
  })

  test.each([
    ['missing', undefined],
    ['upper-case hex', 'UPPER'],
    ['63 characters', 'short'],
    ['65 characters', 'long'],
    ['not hex', 'nothex'],
    ['empty', ''],
  ])('a %s _sig is refused', async (_, kind) => {
    const sig = signer(KEY)
    const fields = { session_id: 's1', zone_id: 'z' }
    const good = await sig.sign('caracal.sessions.revoke', fields)
    const bad =
      kind === undefined
        ? undefined
        : kind === 'UPPER'
          ? good.toUpperCase()
          : kind === 'short'
            ? good.slice(1)
            : kind === 'long'
              ? good + '0'
              : kind === 'nothex'
                ? 'g' + good.slice(1)
                : kind
    // Upper case of a digits-only hex would be the same string; this one has letters.
    expect(/[a-f]/.test(good)).toBe(true)
    const message = bad === undefined ? fields : { ...fields, _sig: bad }
    expect(await sig.verify('caracal.sessions.revoke', message)).toBe(false)
    expect(await sig.verify('caracal.sessions.revoke', { ...fields, _sig: good })).toBe(true)
  })

  test('a key holding \'=\' is refused ("a=b" -> "c" and "a" -> "b=c" share the form)', async () => {
    const sig = signer(KEY)
    const fields = { 'a=b': 'c', session_id: 's' }
    const mac = await sig.sign('caracal.sessions.revoke', fields)
    expect(await sig.verify('caracal.sessions.revoke', { ...fields, _sig: mac })).toBe(false)
  })
})

describe('decodeHmacKey', () => {
  test.each([
    ['31 bytes', '00'.repeat(31)],
    ['odd length', '0'.repeat(65)],
    ['not hex', 'zz'.repeat(32)],
    ['empty', ''],
    ['a number', 42],
  ])('%s is a TypeError', (_, key) => {
    expect(() => decodeHmacKey('RevocationFeed', key)).toThrow(TypeError)
  })

  test('32 bytes and more are accepted, either case', () => {
    expect(decodeHmacKey('x', 'AB'.repeat(32))).toHaveLength(32)
    expect(decodeHmacKey('x', 'ab'.repeat(48))).toHaveLength(48)
  })
})
