import { describe, expect, test } from 'vitest'
import { getMandate, MemoryRevocationStore, withCaracal } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'
import { AUDIENCE, ISSUER } from '../../support/fixture.js'

async function setup() {
  const zone = await devZone()
  const h = withCaracal((request) => Response.json(getMandate(request).scopes), {
    ...zone.options,
    requiredScopes: ['billing:read'],
  })
  const send = async (scope: string) => h(await zone.request({ scope }))
  return { send }
}

// Whitespace to all three of Caracal's verifiers: JavaScript's \s, Python's str.split() and Go's
// strings.Fields agree on these.
const SHARED = [
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  ' ',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
]
// Whitespace to some of them only: U+FEFF to JavaScript alone, U+001C..U+001F to Python alone,
// U+0085 to Python and Go but not JavaScript.
const PARTIAL = ['\ufeff', '\u001c', '\u001d', '\u001e', '\u001f', '\u0085']

describe('scope tokens split only on whitespace all three Caracal verifiers agree on', () => {
  test.each(SHARED.map((c) => [JSON.stringify(c), c]))('%s separates scopes', async (_, c) => {
    const res = await (await setup()).send(`x${c}billing:read`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(['x', 'billing:read'])
  })

  test.each(PARTIAL.map((c) => [JSON.stringify(c), c]))('%s stays inside a scope token', async (_, c) => {
    const res = await (await setup()).send(`x${c}billing:read`)
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: string }).error).toBe('insufficient_scope')
  })

  test('a required scope holding a character any verifier splits on is a construction error', () => {
    for (const c of [...SHARED, ...PARTIAL]) {
      expect(() =>
        withCaracal(() => new Response(), {
          audience: AUDIENCE,
          issuer: ISSUER,
          zoneId: 'z',
          revocations: new MemoryRevocationStore(),
          requiredScopes: [`a${c}b`],
        }),
      ).toThrow(/`requiredScopes` must be an array of non-empty strings without whitespace/)
    }
  })
})
