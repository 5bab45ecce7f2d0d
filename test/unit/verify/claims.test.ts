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

describe('frozen claim lists, shared by content across mandates', () => {
  test('every mandate sees exactly its own lists, past the bound of the sharing table and for lists a plain join would confuse', async () => {
    const s = await devZone()
    const h = withCaracal(
      (request) => {
        const m = getMandate(request)
        return Response.json({ scopes: m.scopes, targets: m.targets, aud: m.audience, raw: m.claims['target'] })
      },
      { ...s.options, mandateCache: false },
    )
    const lists: { scope: string; target: string[] }[] = [
      { scope: 'a b', target: ['ab', 'c'] },
      { scope: 'ab', target: ['a', 'bc'] },
      { scope: 'a  b', target: ['1:a', 'b'] },
      { scope: '', target: ['1:a1:b'] },
    ]
    // More distinct lists than the table holds (1024), then the first ones again.
    for (let i = 0; i < 1100; i++) lists.push({ scope: `read:${i} common`, target: [`t${i}`, 'shared'] })
    lists.push(...lists.slice(0, 8))
    for (const { scope, target } of lists) {
      const res = await h(await s.request({ scope, target }))
      expect(res.status).toBe(200)
      const body = (await res.json()) as Record<string, unknown>
      expect(body).toEqual({
        scopes: scope.split(/\s+/).filter(Boolean),
        targets: target,
        aud: [AUDIENCE],
        raw: target,
      })
    }
  })

  test('a handler cannot change what the next request with the same claims sees', async () => {
    const s = await devZone()
    const seen: ReturnType<typeof getMandate>[] = []
    const h = withCaracal((request) => {
      const m = getMandate(request)
      seen.push(m)
      expect(() => (m.scopes as string[]).push('admin')).toThrow(TypeError)
      expect(() => ((m.claims['aud'] as string[])[0] = 'x')).toThrow(TypeError)
      return new Response('ok')
    }, s.options)
    for (let i = 0; i < 2; i++) expect((await h(await s.request({ scope: 'billing:read' }))).status).toBe(200)
    expect(seen.map((m) => [...m.scopes])).toEqual([['billing:read'], ['billing:read']])
    expect(seen.map((m) => [...m.audience])).toEqual([[AUDIENCE], [AUDIENCE]])
  })
})
