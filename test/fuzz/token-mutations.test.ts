// Token mutations: every change to a legit token's characters, and every token forged without the
// zone key, is answered exactly as the independent oracle decides; the handler runs only for the
// (rare) mutation that leaves a valid, canonical mandate.
import fc from 'fast-check'
import { beforeAll, describe, test } from 'vitest'
import { expectVerdict } from './support/expect.js'
import { createWorld, PATHS, validClaims, type World } from './support/fixture.js'
import { check, TIMEOUT_MS } from './support/run.js'
import {
  alphabetAbuse,
  applyMutations,
  attacks,
  bitFlip,
  junkToken,
  legitTokens,
  signedEncodings,
  type Mutation,
} from './support/token-arbitraries.js'

let world: World
let legit: string[]

beforeAll(async () => {
  world = await createWorld()
  legit = await legitTokens(world)
})

const path = fc.constantFrom(...PATHS)

async function sendMutated(index: number, mutations: readonly Mutation[], at: string) {
  const token = applyMutations(legit[index]!, mutations)
  const sent = await world.send(`Bearer ${token}`, at)
  await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
}

describe('token mutations', { timeout: TIMEOUT_MS }, () => {
  test('the unmutated legit tokens pass (the suite can tell valid from invalid)', async () => {
    for (const token of legit) await expectVerdict(await world.send(`Bearer ${token}`), { ok: true })
  })

  test('bit flips in each segment', async () => {
    const index = fc.nat(legit.length - 1)
    const flips = fc.array(bitFlip, { minLength: 1, maxLength: 2 })
    await check('bit flips in each segment', fc.asyncProperty(index, flips, path, sendMutated))
  })

  test('alphabet abuse', async () => {
    const index = fc.nat(legit.length - 1)
    const abuse = fc.array(fc.oneof(alphabetAbuse, bitFlip), { minLength: 1, maxLength: 3 })
    await check('alphabet abuse', fc.asyncProperty(index, abuse, path, sendMutated))
  })

  test('attacker-signed tokens', async () => {
    const { arbitrary, forge } = await attacks(world)
    await check(
      'attacker-signed tokens',
      fc.asyncProperty(arbitrary, path, async (attack, at) => {
        const sent = await world.send(`Bearer ${await forge(attack)}`, at)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })

  test('legit-signed headers and encodings', async () => {
    const encodings = signedEncodings(world.raw.kid, JSON.stringify(validClaims()))
    await check(
      'legit-signed headers and encodings',
      fc.asyncProperty(encodings, path, async ([header, payload], at) => {
        const sent = await world.send(`Bearer ${await world.raw.sign(header, payload)}`, at)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })

  test('ambiguous kid', async () => {
    // A JWK set that lists two keys under one kid: no key may be picked among them, so every
    // token naming that kid is refused, whichever of the two signed it.
    const shared = await createWorld({ keys: 'shared-kid' })
    const signer = fc.constantFrom('dev issuer', 'raw key')
    await check(
      'ambiguous kid',
      fc.asyncProperty(signer, fc.constantFrom('j1', 'j2', 'j3'), path, async (by, jti, at) => {
        const claims = { ...validClaims(), jti }
        const token =
          by === 'dev issuer' ? await shared.dev.mint(claims) : await shared.signPayload(JSON.stringify(claims))
        const sent = await shared.send(`Bearer ${token}`, at)
        await expectVerdict(sent, await shared.oracle.decide(sent.authorization, at))
      }),
    )
  })

  test('junk tokens', async () => {
    await check(
      'junk tokens',
      fc.asyncProperty(junkToken, path, async (token, at) => {
        const sent = await world.send(`Bearer ${token}`, at)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })
})
