import { describe, expect, test } from 'vitest'
import { MemoryRevocationStore, withCaracal } from '../../../src/index.js'
import { caracal, requireMandate } from '../../../src/hono.js'

const base = {
  audience: 'resource://billing-api',
  issuer: 'https://sts.example',
  zoneId: 'zone-a',
  revocations: new MemoryRevocationStore(),
}
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
