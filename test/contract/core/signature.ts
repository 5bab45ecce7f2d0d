/**
 * The signed token itself: the signature, the protected header (alg, kid, crit), and junk or
 * altered encodings, all refused before any claim is read. One topic of the core contract (composed
 * in ./index.ts), run unchanged in every runtime.
 */
import { createDevIssuer } from 'caracal-fetch/testing'
import { equal, type ContractCase } from '../assert.js'
import { AUDIENCE, b64url, fixture, refusal } from './setup.js'

export function signatureCases(): ContractCase[] {
  return [
    refusal('a bad signature is invalid_token', 401, 'invalid_token', async (f) => {
      const [h, p, s] = (await f.dev.mint()).split('.')
      const flipped = s!.slice(0, 10) + (s![10] === 'A' ? 'B' : 'A') + s!.slice(11)
      return f.call(`${h}.${p}.${flipped}`)
    }),
    refusal('a token signed by another key with a known kid is invalid_token', 401, 'invalid_token', async (f) => {
      const other = await createDevIssuer({ issuer: f.dev.issuer, zoneId: f.dev.zoneId, audience: AUDIENCE })
      const forged = await other.mint({}, { kid: f.dev.kid })
      return f.call(forged)
    }),
    refusal(
      'a forged token claiming another zone is invalid_token: claims are judged only after the signature',
      401,
      'invalid_token',
      async (f) => {
        const other = await createDevIssuer({ issuer: f.dev.issuer, zoneId: f.dev.zoneId, audience: AUDIENCE })
        return f.call(await other.mint({ zone_id: 'zone-b', hop_count: 99 }, { kid: f.dev.kid }))
      },
    ),
    refusal('alg none is invalid_token', 401, 'invalid_token', async (f) => {
      const [, p] = (await f.dev.mint()).split('.')
      return f.call(`${b64url({ alg: 'none', kid: f.dev.kid, typ: 'JWT' })}.${p}.`)
    }),
    refusal('alg HS256 is invalid_token', 401, 'invalid_token', async (f) => {
      const [, p, s] = (await f.dev.mint()).split('.')
      return f.call(`${b64url({ alg: 'HS256', kid: f.dev.kid, typ: 'JWT' })}.${p}.${s}`)
    }),
    {
      name: 'every header is checked: a bad header after a good one with the same kid is still refused',
      async run() {
        const f = await fixture()
        equal((await f.call(await f.dev.mint())).status, 200, 'a good mandate first')
        const [h, p, s] = (await f.dev.mint()).split('.')
        for (const header of [
          { alg: 'HS256', kid: f.dev.kid, typ: 'JWT' },
          { alg: 'ES256', kid: f.dev.kid, typ: 'JWT', crit: ['exp'] },
          { alg: 'ES256', typ: 'JWT' },
        ]) {
          const res = await f.call(`${b64url(header)}.${p}.${s}`)
          equal(res.status, 401, JSON.stringify(header))
        }
        equal((await f.call(`${h}.${p}.${s}`)).status, 200, 'the good header still passes')
        equal(f.calls, 2, 'handler calls')
      },
    },
    refusal('ES384 in the header is invalid_token', 401, 'invalid_token', async (f) => {
      const [, p, s] = (await f.dev.mint()).split('.')
      return f.call(`${b64url({ alg: 'ES384', kid: f.dev.kid, typ: 'JWT' })}.${p}.${s}`)
    }),
    refusal('an unknown kid is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({}, { kid: 'no-such-kid' })),
    ),
    {
      name: 'bad input never crashes: junk, huge, non-UTF-8 and deeply nested tokens are 401',
      async run() {
        const f = await fixture()
        const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`
        const valid = await f.dev.mint()
        const sig = valid.split('.')[2]
        const header = b64url({ alg: 'ES256', kid: f.dev.kid, typ: 'JWT' })
        const cases = [
          'x'.repeat(20_000),
          'a.b.c',
          '...',
          'eyJ.eyJ.eyJ',
          `${b64url('\u0000\u00ff')}.${b64url('x')}.${sig}`,
          `${header}.${b64url(nested)}.${sig}`,
          `${header}.${btoa(String.fromCharCode(0xff, 0xfe, 0xfd)).replace(/=+$/, '')}.${sig}`,
          `${header}.${b64url({ aud: Array.from({ length: 3000 }, (_, i) => `a${i}`) })}.${sig}`,
          '\u00e9\u00e9\u00e9',
          `${valid}A`,
          `${valid}AAAA`,
          valid.replace('.', 'A.'),
        ]
        for (const token of cases) {
          const res = await f.call(undefined, { authorization: `Bearer ${token}` })
          equal(res.status, 401, `status for ${token.slice(0, 20)}`)
          equal(((await res.json()) as { error: string }).error, 'invalid_token', 'code')
        }
        const huge = await f.call(undefined, { authorization: `Bearer ${'A'.repeat(1_000_000)}` })
        equal(huge.status, 401, 'a 1 MB header')
        equal(f.calls, 0, 'handler calls')
      },
    },
    {
      name: 'a signed token altered anywhere outside the base64url alphabet is refused, and the original still passes',
      async run() {
        const f = await fixture()
        // A signature holding "-" or "_", so that one case swaps in the standard alphabet's "+" or
        // "/", which a lenient decoder (Node's Buffer) reads as the same bytes.
        let valid = await f.dev.mint()
        while (!/[-_]/.test(valid.split('.')[2]!)) valid = await f.dev.mint()
        const [h, p, s] = valid.split('.') as [string, string, string]
        const mid = p.length >> 1
        const at = s.search(/[-_]/)
        const altered = [
          // In the payload: characters a lenient decoder skips or maps onto the alphabet.
          `${h}.${p.slice(0, mid)} ${p.slice(mid)}.${s}`,
          `${h}.${p.slice(0, mid)}\t${p.slice(mid)}.${s}`,
          `${h}.${p.slice(0, mid)}=${p.slice(mid)}.${s}`,
          `${h}.${p}=.${s}`,
          `${h}.${p.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(p) ? '' : '+'}.${s}`,
          `${h}.${p.slice(0, mid)}\u00e9${p.slice(mid + 1)}.${s}`,
          `${h}.${p.slice(0, mid)}\u0080${p.slice(mid)}.${s}`,
          // In the header and the signature.
          `${h} .${p}.${s}`,
          `${h}=.${p}.${s}`,
          `${h}.${p}.${s.slice(0, at)}${s[at] === '-' ? '+' : '/'}${s.slice(at + 1)}`,
          `${h}.${p}.${s.slice(0, 40)}\u00e9${s.slice(41)}`,
          `${h}.${p}.${s.slice(0, 85)}=`,
          `${h}.${p}.${s.slice(0, 84)}==`,
        ]
        for (const token of altered) {
          const res = await f.call(undefined, { authorization: `Bearer ${token}` })
          equal(res.status, 401, `status for ${JSON.stringify(token.slice(0, 12))}...`)
          equal(((await res.json()) as { error: string }).error, 'invalid_token', 'code')
        }
        equal(f.calls, 0, 'handler calls')
        equal((await f.call(valid)).status, 200, 'the unaltered token')
      },
    },
  ]
}
