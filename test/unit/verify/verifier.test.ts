import { describe, expect, test } from 'vitest'
import { withCaracal, type CaracalError } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'
import { bearerRequest } from '../../support/fixture.js'
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

async function setup() {
  const { dev, options } = await devZone()
  const errors: CaracalError[] = []
  const h = withCaracal(() => new Response('ok'), { ...options, onError: (e) => errors.push(e) })
  const send = (token: string) => h(bearerRequest(token))
  return { dev, errors, send }
}

/** The 16 characters that decode to the same bytes as `last` in the final position of an 86-character segment. */
function sameBytes(last: string): string[] {
  const high = ALPHABET.indexOf(last) & 0b110000
  return Array.from({ length: 16 }, (_, low) => ALPHABET[high | low]!)
}

describe('only the canonical base64url spelling of a token is accepted', () => {
  test('a signature whose unused trailing bits are set is invalid_token; the canonical one still passes', async () => {
    const { dev, errors, send } = await setup()
    const token = await dev.mint()
    const last = token.at(-1)!
    const spellings = sameBytes(last).filter((c) => c !== last)
    expect(spellings).toHaveLength(15)
    for (const c of spellings) {
      const res = await send(token.slice(0, -1) + c)
      expect(res.status).toBe(401)
    }
    expect(errors.every((e) => e.code === 'invalid_token' && /canonical/.test(e.reason))).toBe(true)
    expect((await send(token)).status).toBe(200)
  })

  test('a padded signature or header is invalid_token', async () => {
    const { dev, send } = await setup()
    const [header, payload, signature] = (await dev.mint()).split('.') as [string, string, string]
    expect((await send(`${header}.${payload}.${signature}==`)).status).toBe(401)
    expect((await send(`${header}=.${payload}.${signature}`)).status).toBe(401)
    expect((await send(`${header}.${payload}=.${signature}`)).status).toBe(401)
  })

  test('a header whose unused trailing bits are set is invalid_token', async () => {
    const { dev, errors, send } = await setup()
    // Pad the header JSON until its base64url leaves a partial final character.
    let token = ''
    for (let pad = 0; ; pad++) {
      token = await dev.mint({}, { header: { x: 'y'.repeat(pad) } })
      if (token.indexOf('.') % 4 !== 0) break
    }
    const dot = token.indexOf('.')
    const last = token[dot - 1]!
    const mask = dot % 4 === 2 ? 0b1111 : 0b11
    const bent = ALPHABET[ALPHABET.indexOf(last) | mask]!
    expect((await send(token.slice(0, dot - 1) + bent + token.slice(dot))).status).toBe(401)
    expect(errors.at(-1)?.reason).toMatch(/canonical/)
  })
})

describe('a malformed payload is decidable without keys', () => {
  test('while the JWKS cannot be fetched, a payload that is not base64url is 401 invalid_token, not 503', async () => {
    const { dev, options } = await devZone()
    const h = withCaracal(() => new Response('ok'), {
      ...options,
      fetch: () => Promise.reject(new Error('STS unreachable')),
    })
    const [header, payload, signature] = (await dev.mint()).split('.') as [string, string, string]
    const send = (token: string) => h(bearerRequest(token))
    expect((await send(`${header}.=${payload}.${signature}`)).status).toBe(401)
    expect((await send(`${header}.${payload}.${signature}`)).status).toBe(503)
  })
})
