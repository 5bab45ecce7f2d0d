/**
 * Token-level generators: mutations of legit tokens (bit flips in each segment, alphabet abuse),
 * attacker-signed tokens (own key, alg confusion, kid tricks) and junk. Every string produced is
 * a legal header value (no NUL, CR, LF; nothing above U+00FF), so each case reaches the handler.
 */
import fc from 'fast-check'
import { exportSPKI, generateKeyPair, type JWK } from 'jose'
import { createDevIssuer } from '../../../src/testing.js'
import { AUDIENCE, b64url, enc, ISSUER, validClaims, ZONE, type World } from './fixture.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** A character a header value may hold in place of `code` (NUL, CR and LF are not). */
function headerSafe(code: number): string {
  return code === 0 || code === 10 || code === 13 ? '\x7f' : String.fromCharCode(code & 0xff)
}

const segmentIndex = fc.constantFrom(0, 1, 2)
/** A position inside a segment, as a fraction of its length (tokens differ in length). */
const at = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
const place = (segment: string, fraction: number) => Math.floor(fraction * segment.length)

export type Mutation =
  | { kind: 'flip-value'; segment: number; at: number; bit: number }
  | { kind: 'flip-char'; segment: number; at: number; bit: number }
  | { kind: 'unused-bits'; segment: number; bits: number }
  | { kind: 'insert'; segment: number; at: number; text: string }
  | { kind: 'delete'; segment: number; at: number }
  | { kind: 'pad'; segment: number; padding: string }
  | { kind: 'alphabet'; segment: number; at: number }
  | { kind: 'swap-case'; segment: number; at: number }
  | { kind: 'segments'; shape: 'drop-signature' | 'extra' | 'empty-payload' | 'no-dots' | 'trailing-dot' }

/** Bit flips: in the 6-bit value (stays in the alphabet), in the character code, in the unused bits. */
export const bitFlip: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip-value' as const), segment: segmentIndex, at, bit: fc.nat(5) }),
  fc.record({ kind: fc.constant('flip-char' as const), segment: segmentIndex, at, bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('unused-bits' as const),
    segment: segmentIndex,
    bits: fc.integer({ min: 1, max: 15 }),
  }),
)

const abuseText = fc.constantFrom(
  '=',
  '==',
  '+',
  '/',
  ' ',
  '\t',
  '\v',
  '\f',
  '\xa0',
  '\x85',
  '\xe9',
  '\x7f',
  '.',
  '%41',
  '\\',
)

/** Alphabet abuse: padding, `+/`, whitespace, Latin-1 letters, case, lost or extra segments. */
export const alphabetAbuse: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), segment: segmentIndex, at, text: abuseText }),
  fc.record({ kind: fc.constant('delete' as const), segment: segmentIndex, at }),
  fc.record({ kind: fc.constant('pad' as const), segment: segmentIndex, padding: fc.constantFrom('=', '==', '===') }),
  fc.record({ kind: fc.constant('alphabet' as const), segment: segmentIndex, at }),
  fc.record({ kind: fc.constant('swap-case' as const), segment: segmentIndex, at }),
  fc.record({
    kind: fc.constant('segments' as const),
    shape: fc.constantFrom('drop-signature', 'extra', 'empty-payload', 'no-dots', 'trailing-dot' as const),
  }),
)

function mutateSegment(segment: string, m: Exclude<Mutation, { kind: 'segments' }>): string {
  const i = 'at' in m ? place(segment, m.at) : segment.length - 1
  const char = segment[i] ?? 'A'
  const put = (replacement: string) => segment.slice(0, i) + replacement + segment.slice(i + 1)
  switch (m.kind) {
    case 'flip-value': {
      const value = ALPHABET.indexOf(char)
      return value === -1 ? segment : put(ALPHABET[value ^ (1 << m.bit)]!)
    }
    case 'flip-char':
      return put(headerSafe(char.charCodeAt(0) ^ (1 << m.bit)))
    case 'unused-bits': {
      // The low bits the last character carries beyond the data: 4 of them after 2 characters
      // of a group, 2 after 3 characters; none when the length is a multiple of 4.
      const spare = segment.length % 4 === 2 ? 0b1111 : segment.length % 4 === 3 ? 0b11 : 0
      const value = ALPHABET.indexOf(char)
      return spare === 0 || value === -1 ? segment : put(ALPHABET[value | (m.bits & spare)]!)
    }
    case 'insert':
      return segment.slice(0, i) + m.text + segment.slice(i)
    case 'delete':
      return segment.slice(0, i) + segment.slice(i + 1)
    case 'pad':
      return segment + m.padding
    case 'alphabet':
      return put(char === '-' ? '+' : char === '_' ? '/' : '+')
    case 'swap-case': {
      const swapped = char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase()
      return put(swapped)
    }
  }
}

export function applyMutations(token: string, mutations: readonly Mutation[]): string {
  let current = token
  for (const m of mutations) {
    if (m.kind === 'segments') {
      const [h = '', p = '', s = ''] = current.split('.')
      current = {
        'drop-signature': `${h}.${p}`,
        extra: `${current}.${s}`,
        'empty-payload': `${h}..${s}`,
        'no-dots': `${h}${p}${s}`,
        'trailing-dot': `${current}.`,
      }[m.shape]
      continue
    }
    const parts = current.split('.')
    if (m.segment >= parts.length) continue
    parts[m.segment] = mutateSegment(parts[m.segment]!, m)
    current = parts.join('.')
  }
  return current
}

/** Legit tokens to mutate: minted by the dev issuer and signed as raw JSON by the trusted raw key. */
export async function legitTokens(world: World): Promise<string[]> {
  const claims = validClaims()
  const minted = [await world.dev.mint(claims), await world.dev.mint({ ...claims, scope: 'billing:read' })]
  const raw = [
    await world.signPayload(JSON.stringify(claims)),
    await world.signPayload(JSON.stringify({ ...claims, jti: 'j' })),
    await world.signPayload(JSON.stringify({ ...claims, jti: 'jt' })),
  ]
  return [...minted, ...raw]
}

async function hmac(secret: Uint8Array, input: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return b64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(input))))
}

export type Attack =
  | { kind: 'own-key'; kid: unknown }
  | { kind: 'alg-none'; alg: string; signature: string }
  | { kind: 'hs256'; secret: number }
  | { kind: 'es384'; kid: string }
  | { kind: 'embedded-jwk' }
  | { kind: 'transplant'; kid: string }

/**
 * Attacks by someone without the zone key: the arbitrary describes the attack (readable in a
 * counterexample), `forge` makes its token.
 */
export async function attacks(world: World) {
  const attacker = await createDevIssuer({ issuer: ISSUER, zoneId: ZONE, audience: AUDIENCE })
  const claims = validClaims()
  const payload = b64url(JSON.stringify(claims))
  const legit = await world.signPayload(JSON.stringify(claims))
  const legitSignature = legit.split('.')[2]!
  const trustedKids = [world.raw.kid, world.dev.kid]
  const kidTricks: unknown[] = [
    ...trustedKids,
    undefined,
    '',
    ` ${world.raw.kid}`,
    world.raw.kid.toUpperCase(),
    `../${world.dev.kid}`,
    `${world.raw.kid}\u0000`,
    42,
    null,
    [world.raw.kid],
    { kid: world.raw.kid },
  ]
  const p384 = await generateKeyPair('ES384')
  const publicJwk: JWK = world.raw.publicJwk
  const secrets = [
    enc.encode(JSON.stringify(publicJwk)),
    enc.encode(publicJwk.x ?? ''),
    Buffer.from(`${publicJwk.x}${publicJwk.y}`, 'base64url'),
    enc.encode(await exportSPKI((await generateKeyPair('ES256')).publicKey)),
  ]
  const head = (header: Record<string, unknown>) => b64url(JSON.stringify(header))

  const arbitrary: fc.Arbitrary<Attack> = fc.oneof(
    fc.record({ kind: fc.constant('own-key' as const), kid: fc.constantFrom(...kidTricks) }),
    fc.record({
      kind: fc.constant('alg-none' as const),
      alg: fc.constantFrom('none', 'None', 'NONE', ''),
      signature: fc.constantFrom('', legitSignature),
    }),
    fc.record({ kind: fc.constant('hs256' as const), secret: fc.nat(secrets.length - 1) }),
    fc.record({ kind: fc.constant('es384' as const), kid: fc.constantFrom(...trustedKids) }),
    fc.constant({ kind: 'embedded-jwk' as const }),
    fc.record({ kind: fc.constant('transplant' as const), kid: fc.constantFrom(world.dev.kid, world.raw.kid) }),
  )

  async function forge(attack: Attack): Promise<string> {
    switch (attack.kind) {
      case 'own-key':
        // The attacker's key under a trusted kid, a lookalike, a mistyped one, or its own.
        return attacker.mint(claims, { header: { kid: attack.kid } })
      case 'alg-none':
        return `${head({ alg: attack.alg, kid: world.raw.kid, typ: 'JWT' })}.${payload}.${attack.signature}`
      case 'hs256': {
        // The public key, in several spellings, used as an HMAC secret.
        const input = `${head({ alg: 'HS256', kid: world.raw.kid, typ: 'JWT' })}.${payload}`
        return `${input}.${await hmac(secrets[attack.secret]!, input)}`
      }
      case 'es384': {
        const input = `${head({ alg: 'ES384', kid: attack.kid, typ: 'JWT' })}.${payload}`
        const algorithm = { name: 'ECDSA', hash: 'SHA-384' }
        const signature = await crypto.subtle.sign(algorithm, p384.privateKey as CryptoKey, enc.encode(input))
        return `${input}.${b64url(new Uint8Array(signature))}`
      }
      case 'embedded-jwk':
        return attacker.mint(claims, { header: { kid: undefined, jwk: attacker.jwks.keys[0] } })
      case 'transplant':
        // A genuine signature under another header: naming the other trusted key, or the same
        // key with the fields in another order (the signature covers the exact characters).
        return `${head({ kid: attack.kid, alg: 'ES256', typ: 'JWT' })}.${payload}.${legitSignature}`
    }
  }
  return { arbitrary, forge }
}

const utf8 = (text: string) => enc.encode(text)
const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...utf8(p)] : p)))

/**
 * Headers and payload encodings the zone key really signed, for the checks that come before and
 * around the claims: alg spelling, `crit`, missing or duplicate `kid`/`alg` (the last one counts,
 * as in every JSON parser Caracal uses), a byte-order mark, invalid UTF-8, JSON that is not an
 * object. Each is a pair of texts (or bytes), signed by the trusted raw key.
 */
export function signedEncodings(kid: string, claimsJson: string): fc.Arbitrary<[Uint8Array, Uint8Array]> {
  const k = JSON.stringify(kid)
  const headers = [
    `{"alg":"ES256","kid":${k}}`,
    `{"alg":"ES256","kid":${k},"typ":"at+jwt"}`,
    `{ "alg" : "ES256" , "kid" : ${k} }`,
    `{"alg":"\\u0045S256","kid":${k}}`,
    `{"alg":"es256","kid":${k}}`,
    `{"alg":"ES256"}`,
    `{"alg":"ES256","kid":${k},"crit":["b64"],"b64":true}`,
    `{"alg":"ES256","kid":${k},"crit":[]}`,
    `{"alg":"ES256","kid":${k},"crit":null}`,
    `{"alg":"ES256","kid":${k},"b64":false}`,
    `{"alg":"none","alg":"ES256","kid":${k}}`,
    `{"alg":"ES256","alg":"none","kid":${k}}`,
    `{"kid":"other","alg":"ES256","kid":${k}}`,
    `{"alg":"ES256","kid":${k},"kid":"other"}`,
    `{"alg":"ES256","kid":${k},"jku":"https://attacker.example/jwks"}`,
    `{"alg":"ES256","kid":${k},"__proto__":{"alg":"none"}}`,
    `\ufeff{"alg":"ES256","kid":${k}}`,
    `[]`,
    `null`,
    `{}`,
  ].map(utf8)
  const inner = claimsJson.slice(1, -1)
  const payloads = [
    utf8(claimsJson),
    utf8(` ${claimsJson}\n`),
    bytes([0xef, 0xbb, 0xbf], claimsJson),
    bytes(`{"x":"`, [0xc3, 0x28], `",${inner}}`),
    bytes(`{"x":"`, [0xc0, 0xaf], `",${inner}}`),
    bytes(`{"x":"`, [0xed, 0xa0, 0x80], `",${inner}}`),
    bytes(`{"x":"`, [0xff], `",${inner}}`),
    utf8(`{"x":"\\u0000",${inner}}`),
    utf8(`{"x":"\u0001",${inner}}`),
    utf8(`${claimsJson}x`),
    utf8(`${claimsJson}${claimsJson}`),
    utf8(claimsJson.slice(0, -1)),
    utf8('null'),
    utf8('[]'),
    utf8(`[${claimsJson}]`),
    utf8(JSON.stringify(claimsJson)),
    Uint8Array.from(Buffer.from(claimsJson, 'utf16le')),
  ]
  return fc.tuple(fc.constantFrom(...headers), fc.constantFrom(...payloads))
}

/** Three dot-separated runs of base64url-ish characters (and a few that are not). */
export const junkToken: fc.Arbitrary<string> = fc
  .array(fc.string({ unit: fc.constantFrom(...ALPHABET, '=', '+', '/', '.', ' '), maxLength: 120 }), {
    minLength: 1,
    maxLength: 4,
  })
  .map((parts) => parts.join('.'))
