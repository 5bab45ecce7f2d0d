import { describe, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { caracal, requireMandate } from '../../../src/hono.js'
import { devZone } from '../../support/dev-zone.js'
import { AUDIENCE, ISSUER, ZONE_ID } from '../../support/fixture.js'

const base = { audience: AUDIENCE, issuer: ISSUER, zoneId: ZONE_ID, revocations: new MemoryRevocationStore() }
const ok = () => new Response('ok')

describe('an unknown option key is a TypeError at construction, with the nearest known key', () => {
  test('top level of withCaracal: a misspelt requirement does not silently drop the check', () => {
    expect(() => withCaracal(ok, { ...base, requiredScope: ['billing:payout'] } as never)).toThrow(
      new TypeError('withCaracal: unknown option `requiredScope`; did you mean `requiredScopes`?'),
    )
  })

  test('each routes entry', () => {
    expect(() => withCaracal(ok, { ...base, routes: { '/payouts': { requireDelegaton: true } } } as never)).toThrow(
      new TypeError(
        'withCaracal: routes["/payouts"]: unknown option `requireDelegaton`; did you mean `requireDelegation`?',
      ),
    )
  })

  test('mandateCache', () => {
    expect(() => withCaracal(ok, { ...base, mandateCache: { maxEntry: 10 } } as never)).toThrow(
      new TypeError('withCaracal: mandateCache: unknown option `maxEntry`; did you mean `maxEntries`?'),
    )
  })

  test('the Hono caracal() and requireMandate()', () => {
    expect(() => caracal({ ...base, exclued: ['/healthz'] } as never)).toThrow(
      new TypeError('caracal: unknown option `exclued`; did you mean `exclude`?'),
    )
    expect(() => requireMandate({ requiredScope: ['a'] } as never)).toThrow(
      new TypeError('requireMandate: unknown option `requiredScope`; did you mean `requiredScopes`?'),
    )
  })

  test('a key far from every known one lists the known options', () => {
    expect(() => withCaracal(ok, { ...base, zzzzzzzzzzzzzzzz: 1 } as never)).toThrow(
      /withCaracal: unknown option `zzzzzzzzzzzzzzzz`; known options: .*requiredScopes/,
    )
  })

  test('a key set to undefined is still a misspelling', () => {
    expect(() => withCaracal(ok, { ...base, requiredScope: undefined } as never)).toThrow(
      /did you mean `requiredScopes`/,
    )
  })

  test('every documented option is accepted', () => {
    expect(() =>
      withCaracal(ok, {
        ...base,
        fetch: (input, init) => fetch(input, init),
        routes: { '/a': { requiredScopes: ['a'], maxHopCount: 2 } },
        exclude: ['/healthz'],
        resourceMetadata: 'https://api.example/.well-known/oauth-protected-resource',
        onError: () => {},
        jwksTimeoutMs: 1000,
        jwksCooldownMs: 1000,
        jwksMaxStaleMs: 1000,
        revocationTimeoutMs: 1000,
        mandateCache: { maxEntries: 1, maxBytes: 100_000, maxAgeMs: 1000 },
        now: Date.now,
        requiredScopes: [],
        requiredTargets: [],
        requireAgent: false,
        requireDelegation: false,
        requireChainContains: [],
        maxHopCount: 10,
        requiredUse: 'resource',
      }),
    ).not.toThrow()
  })
})

describe('resolved once at construction', () => {
  test('a `now` that is not a function is a TypeError, not a failure per request', () => {
    expect(() => withCaracal(ok, { ...base, now: 5 } as never)).toThrow(
      new TypeError('withCaracal: `now` must be a function'),
    )
  })

  test('the caller’s options object is not changed', () => {
    const options = { ...base, routes: { '/a/': { requiredScopes: ['a'] } }, exclude: ['/h/'] }
    const copy = JSON.stringify(options)
    withCaracal(ok, options)
    expect(JSON.stringify(options)).toBe(copy)
  })
})

describe('construction errors name the option and the fix', () => {
  test.each([
    [{ issuer: undefined }, /withCaracal: no issuer; pass `issuer` or set CARACAL_STS_URL/],
    [{ zoneId: undefined }, /withCaracal: no zoneId; pass `zoneId` or set CARACAL_ZONE_ID/],
    [{ audience: undefined }, /withCaracal: no audience; pass `audience` or set CARACAL_AUDIENCE/],
    [{ revocations: undefined }, /`revocations` is required/],
    [{ revocations: {} }, /`revocations` has no isRevoked\(\) method/],
    [{ requiredScopes: 'a b' }, /`requiredScopes` must be an array of non-empty strings without whitespace/],
    [{ requiredScopes: [''] }, /`requiredScopes`/],
    [{ maxHopCount: -1 }, /`maxHopCount` must be an integer >= 0/],
    [{ requireAgent: 'yes' }, /`requireAgent` must be true or false/],
    [{ requiredUse: 'admin' }, /`requiredUse` must be/],
    [{ routes: { payouts: {} } }, /every `routes` entry must be a path starting with "\/"/],
    [
      { routes: { '/p': { requiredScope: ['x'] } } },
      /routes\["\/p"\]: unknown option `requiredScope`; did you mean `requiredScopes`\?/,
    ],
    [{ exclude: '/healthz' }, /`exclude` must be an array/],
    [{ jwksTimeoutMs: 0 }, /`jwksTimeoutMs` must be a positive number/],
    [{ issuer: 'http://sts.example.com' }, /must use https:/],
    [
      { issuer: 'https://sts.example/?tenant=t' },
      /issuer "https:\/\/sts.example\/\?tenant=t" must have no query \(\?\) or fragment/,
    ],
    [{ issuer: 'https://sts.example/#x' }, /must have no query \(\?\) or fragment \(#\)/],
    [{ issuer: 'https://sts.example/?' }, /must have no query/],
    [{ resourceMetadata: 'ftp://x' }, /`resourceMetadata` "ftp:\/\/x" must use https:/],
    [{ resourceMetadata: 'https://a.example/x\ny' }, /`resourceMetadata` .* must be printable ASCII without spaces/],
    [{ resourceMetadata: 'https://a.example/"x"' }, /`resourceMetadata` .* without spaces, quotes or backslashes/],
    [{ resourceMetadata: 42 }, /`resourceMetadata` 42 is not a string/],
    [
      { revocations: MemoryRevocationStore },
      /`revocations` is a store class, not a store; .*new MemoryRevocationStore\(\)/,
    ],
    [{ jwks: { keys: 'k' } }, /`jwks` must be a JWK set/],
    [
      {
        jwks: {
          keys: [
            { kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB' },
            { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
          ],
        },
      },
      /`jwks` holds no usable key; it needs a public EC P-256 key with a `kid`/,
    ],
  ])('%o', async (override, message) => {
    const { options: base } = await devZone()
    expect(() => withCaracal(ok, { ...base, ...override } as CaracalOptions)).toThrow(TypeError)
    expect(() => withCaracal(ok, { ...base, ...override } as CaracalOptions)).toThrow(message)
  })

  test('a handler that is not a function', async () => {
    const { options: base } = await devZone()
    expect(() => withCaracal('nope' as never, base)).toThrow(/first argument must be a fetch handler/)
  })
})
