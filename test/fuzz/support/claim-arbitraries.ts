/**
 * Claim-level generators for legit-signed attacks: a payload is the valid claims with some
 * deleted, retyped, pushed across a time boundary, duplicated (the same key twice in the JSON
 * text, which JSON.parse, Python's json and Go's encoding/json all resolve to the last), or given
 * huge and deeply nested values. A payload is a list of entries, so duplicates survive to the text.
 */
import fc from 'fast-check'
import { AUDIENCE, ISSUER, NOW_S, REVOKED, validClaims, ZONE, ZONE_EPOCH } from './fixture.js'

/** JSON text placed as it is (deep nesting, numbers JSON.stringify would not write). */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON() {
    return `<raw ${this.text.length} chars: ${this.text.slice(0, 40)}...>`
  }
}

export type Entry = readonly [name: string, value: unknown]

export function payloadText(entries: readonly Entry[]): string {
  const body = entries.map(([name, value]) => {
    const text = value instanceof RawJson ? value.text : JSON.stringify(value)
    return `${JSON.stringify(name)}:${text === undefined ? 'null' : text}`
  })
  return `{${body.join(',')}}`
}

const times = fc.oneof(
  fc.integer({ min: -130, max: 130 }).map((d) => NOW_S + d),
  fc.constantFrom(NOW_S - 60, NOW_S - 61, NOW_S + 60, NOW_S + 61, NOW_S, NOW_S + 1, 0, -1, 2 ** 53, 2 ** 53 - 1),
  fc.constantFrom(NOW_S + 0.5, `${NOW_S + 300}`, new RawJson('1e400'), new RawJson(`${NOW_S + 300}.0`)),
  fc.constantFrom(new RawJson(`${NOW_S + 300}e0`), new RawJson('-0'), new RawJson(`1.8e9`)),
)
const ids = fc.constantFrom('', ' ', 'x', null, 0, [], {}, true, ['x'], ...REVOKED, 'sid-1')
const anyJson = fc.jsonValue({ maxDepth: 3 })

/** The interesting values of each claim; any claim may also get any JSON value. */
const VALUES: Record<string, fc.Arbitrary<unknown>> = {
  iss: fc.constantFrom(ISSUER, `${ISSUER}/`, ISSUER.toUpperCase(), null, [ISSUER], ''),
  aud: fc.constantFrom([AUDIENCE], AUDIENCE, [AUDIENCE, 5], ['x'], [], 'x', null, [[AUDIENCE]], `${AUDIENCE} `, {
    0: AUDIENCE,
  }),
  exp: times,
  iat: times,
  nbf: fc.oneof(times, fc.constant(null)),
  jti: ids,
  sub: ids,
  client_id: ids,
  sid: ids,
  root_sid: ids,
  sub_type: fc.constantFrom('user', 'application', 'User', 'admin', null, '', ['user']),
  use: fc.constantFrom('resource', 'session', 'gateway', 'Resource', 'resource ', null, ['resource'], ''),
  zone_id: fc.constantFrom(ZONE, 'zone-b', '', null, ZONE.toUpperCase(), [ZONE], 5, `${ZONE}\u0000`),
  // Contested separators have their own property ('scope separators'), so that a failure there
  // does not hide everything else.
  scope: fc.constantFrom('billing:read', 'billing:read billing:payout', '', null, 5, ['billing:read'], 'billing:readx'),
  target: fc.constantFrom(['api://pay'], [], ['api://pay', ''], ['API://PAY'], 'api://pay', [5], null, ['api://pay ']),
  agent_session_id: ids,
  delegation_edge_id: ids,
  source_session_id: ids,
  target_session_id: ids,
  delegation_path: fc.constantFrom([], ['e'], [''], [5], 'e', null),
  delegation_chain: fc.constantFrom(
    [{ application_id: 'app-x' }],
    [],
    [{ application_id: '' }],
    [{}],
    ['app-x'],
    [{ application_id: 'app-x', agent_session_id: 5 }],
    [{ application_id: 'app-x', delegation_edge_id: '' }],
    [{ application_id: 'app-y' }, { application_id: 'app-x' }],
    [{ application_id: 'app-y' }],
    null,
    { application_id: 'app-x' },
    [null],
  ),
  hop_count: fc.constantFrom(0, 3, 4, 10, 11, -1, 1.5, '1', null, 2 ** 53, new RawJson('3.0')),
  delegation_graph_epoch: fc.constantFrom(ZONE_EPOCH, ZONE_EPOCH - 1, ZONE_EPOCH + 1, 0, -1, 5.5, '5', null),
}
const CLAIMS = Object.keys(VALUES)
const ODD_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Zone_id', 'SCOPE', 'scope ', 'kind']

const claimName = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...CLAIMS) }, fc.constantFrom(...ODD_NAMES))
const valueFor = (name: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    // Own keys only: `__proto__`, `constructor` and friends are claim names here, not lookups.
    { weight: 4, arbitrary: Object.hasOwn(VALUES, name) ? VALUES[name]! : anyJson },
    { weight: 1, arbitrary: anyJson },
  )

export type ClaimEdit =
  | { op: 'delete'; name: string }
  | { op: 'set'; name: string; value: unknown }
  | { op: 'duplicate'; name: string; value: unknown; first: boolean }

export const claimEdit: fc.Arbitrary<ClaimEdit> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), name: claimName }),
  {
    weight: 3,
    arbitrary: claimName.chain((name) =>
      fc.record({ op: fc.constant('set' as const), name: fc.constant(name), value: valueFor(name) }),
    ),
  },
  claimName.chain((name) =>
    fc.record({
      op: fc.constant('duplicate' as const),
      name: fc.constant(name),
      value: valueFor(name),
      first: fc.boolean(),
    }),
  ),
)

/** The payload entries of the valid claims after `edits`, in order. */
export function editedEntries(edits: readonly ClaimEdit[]): Entry[] {
  let entries: Entry[] = Object.entries(validClaims())
  for (const edit of edits) {
    if (edit.op === 'delete') entries = entries.filter(([name]) => name !== edit.name)
    else if (edit.op === 'set') {
      const at = entries.findIndex(([name]) => name === edit.name)
      if (at === -1) entries.push([edit.name, edit.value])
      else entries[at] = [edit.name, edit.value]
    } else if (edit.first) entries.unshift([edit.name, edit.value])
    else entries.push([edit.name, edit.value])
  }
  return entries
}

/** Characters that split a scope somewhere: the separators all three verifiers agree on, and not. */
const SCOPE_GAPS = [' ', '\t', '\n', '\r', '\v', '\f', '\xa0', '\u1680', '\u2000', '\u2028', '\u202f', '\u3000']
const NOT_ALL_AGREE = ['\ufeff', '\x85', '\x1c', '\x1f', '\u200b', '\u180e', ',', ';', '+', '\u0000']
const SCOPE_WORDS = ['billing:read', 'billing:payout', 'billing', 'read', 'x', 'BILLING:READ', 'billing:read\u200b']

export const scopeString: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.constantFrom(...SCOPE_WORDS),
      fc.array(fc.constantFrom(...SCOPE_GAPS, ...NOT_ALL_AGREE), { minLength: 1, maxLength: 3 }),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .chain((pairs) =>
    fc.boolean().map((lead) => {
      const text = pairs.map(([word, gap]) => word + gap.join('')).join('')
      return lead ? `${pairs[0]![1].join('')}${text}` : text
    }),
  )

/** Huge and deep values: nesting up to the size cap, long strings, many keys, odd numbers. */
export const hugeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 1, max: 9000 }).map((d) => new RawJson(`${'['.repeat(d)}${']'.repeat(d)}`)),
  fc.integer({ min: 1, max: 4000 }).map((d) => new RawJson(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`)),
  fc.integer({ min: 1, max: 14_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 1500 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
  fc.integer({ min: 1, max: 3000 }).map((n) => Array.from({ length: n }, () => 'billing:read')),
  fc.constantFrom(
    new RawJson('1e400'),
    new RawJson(`1${'0'.repeat(400)}`),
    new RawJson('-0'),
    new RawJson('"\\ud800"'),
  ),
)
