// Resource bounds: huge and deeply nested legit-signed values, the 16 KiB token cap at its exact
// edge, a long run of blanks before the token, a flood of unknown kids (JWKS fetches stay bounded),
// and the verified-mandate cache's memory after thousands of distinct mandates (measured heap
// after garbage collection, never time).
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import { withCaracal, MemoryRevocationStore, type CaracalOptions } from '../../src/index.js'
import { createDevIssuer } from '../../src/testing.js'
import { editedEntries, hugeValue, payloadText } from './support/claim-arbitraries.js'
import { expectVerdict } from './support/expect.js'
import {
  AUDIENCE,
  createRawSigner,
  createWorld,
  ISSUER,
  NOW_S,
  PATHS,
  validClaims,
  ZONE,
  type World,
} from './support/fixture.js'
import { MAX_TOKEN_CHARS } from './support/oracle.js'
import { check, TIMEOUT_MS } from './support/run.js'

let world: World

beforeAll(async () => {
  world = await createWorld()
})

const path = fc.constantFrom(...PATHS)

/** A legit-signed token of exactly `length` characters (the padding claim and header adjusted). */
async function tokenOfLength(target: World, length: number): Promise<string> {
  for (let extra = 0; extra < 4; extra++) {
    const header = JSON.stringify({ alg: 'ES256', kid: target.raw.kid, typ: 'JWT', x: 'y'.repeat(extra) })
    const headerChars = Math.ceil((header.length * 4) / 3)
    const base = payloadText(editedEntries([{ op: 'set', name: 'pad', value: '' }]))
    // Unpadded base64url of n bytes is ceil(4n / 3) characters: find the padding that lands exactly.
    for (let pad = 0; pad < length; pad += 1) {
      const payloadChars = Math.ceil(((base.length + pad) * 4) / 3)
      const total = headerChars + 1 + payloadChars + 1 + 86
      if (total > length) break
      if (total === length) {
        const payload = payloadText(editedEntries([{ op: 'set', name: 'pad', value: 'p'.repeat(pad) }]))
        const token = await target.raw.sign(header, payload)
        if (token.length === length) return token
      }
    }
  }
  throw new Error(`no token of exactly ${length} characters`)
}

describe('resource bounds', { timeout: TIMEOUT_MS }, () => {
  test('huge and deep values', async () => {
    const claim = fc.constantFrom('extra', 'scope', 'target', 'delegation_chain', 'aud', 'sub', 'hop_count')
    await check(
      'huge and deep values',
      fc.asyncProperty(claim, hugeValue, path, async (name, value, at) => {
        const token = await world.signPayload(payloadText(editedEntries([{ op: 'set', name, value }])))
        const sent = await world.send(`Bearer ${token}`, at)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })

  test('unknown kid flood', async () => {
    // A fresh world: its JWKS is fetched once for a good token, then made-up kids must not cause
    // more than one refetch within the cooldown (the clock is fixed, so all of it is one window).
    const flooded = await createWorld()
    const attacker = await createDevIssuer({ issuer: ISSUER, zoneId: ZONE, audience: AUDIENCE })
    await expectVerdict(await flooded.send(`Bearer ${await flooded.dev.mint(validClaims())}`), { ok: true })
    expect(flooded.jwksFetches()).toBe(1)
    const kid = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40 }))
    await check(
      'unknown kid flood',
      fc.asyncProperty(kid, path, async (k, at) => {
        const sent = await flooded.send(`Bearer ${await attacker.mint(validClaims(), { kid: k })}`, at)
        await expectVerdict(sent, await flooded.oracle.decide(sent.authorization, at))
        if (flooded.jwksFetches() > 2) throw new Error(`${flooded.jwksFetches()} JWKS fetches for unknown kids`)
      }),
    )
  })

  test('the 16 KiB cap applies to the token: 16,384 characters pass, 16,385 do not', async () => {
    for (const length of [MAX_TOKEN_CHARS, MAX_TOKEN_CHARS + 1]) {
      const sent = await world.send(`Bearer ${await tokenOfLength(world, length)}`)
      await expectVerdict(sent, await world.oracle.decide(sent.authorization, '/read'))
    }
  })

  test('a run of 100,000 blanks between Bearer and a valid token is accepted', async () => {
    const token = await world.signPayload(JSON.stringify(validClaims()))
    for (const blank of [' ', '\t']) {
      const sent = await world.send(`Bearer${blank.repeat(100_000)}${token}`)
      await expectVerdict(sent, await world.oracle.decide(sent.authorization, '/read'))
    }
  })

  test('the verified-mandate cache stays within its bounds after thousands of distinct mandates', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const signer = await createRawSigner()
    const header = JSON.stringify({ alg: 'ES256', kid: signer.kid, typ: 'JWT' })
    // Each mandate carries 3,000 characters of its own, so an unbounded cache would grow by
    // megabytes; the bounds below hold a few hundred kilobytes at most.
    const tokens: string[] = []
    for (let i = 0; i < 1600; i++) {
      tokens.push(
        await signer.sign(header, JSON.stringify({ ...validClaims(), jti: `j${i}`, pad: `${i}`.padEnd(3000, 'p') })),
      )
    }
    const heapAfter = async (options: CaracalOptions['mandateCache']) => {
      const handler = withCaracal(() => new Response('ok'), {
        audience: AUDIENCE,
        issuer: ISSUER,
        zoneId: ZONE,
        jwks: { keys: [signer.publicJwk] },
        revocations: new MemoryRevocationStore(),
        requiredScopes: [],
        now: () => NOW_S * 1000,
        mandateCache: options,
      })
      const sizes: number[] = []
      for (let i = 0; i < tokens.length; i++) {
        // Twice each: a full cache admits a new mandate on its second verification.
        for (let n = 0; n < 2; n++) {
          const response = await handler(
            new Request('https://api.example/x', { headers: { authorization: `Bearer ${tokens[i]}` } }),
          )
          if (response.status !== 200) throw new Error(`mandate ${i} got ${response.status}`)
        }
        if (i === 399 || i === tokens.length - 1) {
          gc()
          sizes.push(process.memoryUsage().heapUsed)
        }
      }
      return sizes[1]! - sizes[0]!
    }
    const limit = 4 * 1024 * 1024
    // 1,200 more mandates after the first 400: at about 10 KB each, unbounded growth would be 12 MB.
    expect(await heapAfter({ maxEntries: 64 })).toBeLessThan(limit)
    expect(await heapAfter({ maxBytes: 256 * 1024 })).toBeLessThan(limit)
  })
})
