// Authorization header spellings: scheme case, separators (tabs, runs of spaces, Latin-1 blanks),
// trailing blanks, commas, two headers, empty values, and arbitrary Latin-1 bytes. The oracle reads
// the header value as the Request holds it (the Fetch API already strips leading and trailing
// spaces and tabs, and joins two headers with ", ").
import fc from 'fast-check'
import { beforeAll, describe, test } from 'vitest'
import { expectVerdict } from './support/expect.js'
import { createWorld, METHODS, PATHS, type World } from './support/fixture.js'
import { check, TIMEOUT_MS } from './support/run.js'
import { junkToken, legitTokens } from './support/token-arbitraries.js'

let world: World
let legit: string[]

beforeAll(async () => {
  world = await createWorld()
  legit = await legitTokens(world)
})

const path = fc.constantFrom(...PATHS)
const BLANKS = [' ', '\t', '\v', '\f', '\xa0', '\x85', ',', ';', '\x7f']

/** 'bearer' with each letter's case chosen, or another scheme or a near miss. */
const scheme = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.boolean(), { minLength: 6, maxLength: 6 })
      .map((upper) => [...'bearer'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')),
  },
  fc.constantFrom('Basic', 'Token', 'Bear', 'Bearerr', 'Bearer:', 'DPoP', '', 'B\xe9arer', 'Bearer='),
)
const blanks = (max: number) => fc.array(fc.constantFrom(...BLANKS), { maxLength: max }).map((b) => b.join(''))
const run = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(' ', '\t'), { minLength: 1, maxLength: 4 }).map((b) => b.join('')) },
  blanks(3),
)

type Spelling = { values: string[] | null }

describe('Authorization header spellings', { timeout: TIMEOUT_MS }, () => {
  test('Authorization spellings', async () => {
    const token = fc.oneof({ weight: 3, arbitrary: fc.nat(4).map((i) => legit[i % legit.length]!) }, junkToken)
    const spelling: fc.Arbitrary<Spelling> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.tuple(blanks(2), scheme, run, token, blanks(3)).map(([lead, s, sep, t, trail]) => ({
          values: [`${lead}${s}${sep}${t}${trail}`],
        })),
      },
      // Two headers (joined by the Fetch API), or one value with a comma-joined second credential.
      fc.tuple(token, token, fc.boolean()).map(([a, b, two]) => ({
        values: two ? [`Bearer ${a}`, `Bearer ${b}`] : [`Bearer ${a}, Bearer ${b}`],
      })),
      fc.constantFrom<Spelling>({ values: null }, { values: [''] }, { values: ['Bearer'] }, { values: ['Bearer '] }),
    )
    await check(
      'Authorization spellings',
      fc.asyncProperty(spelling, path, fc.constantFrom(...METHODS), async ({ values }, at, method) => {
        const sent = await world.send(values, at, method)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })

  test('arbitrary header values', async () => {
    // Any Latin-1 text a header may carry, often after a valid scheme.
    const byte = fc.integer({ min: 1, max: 255 }).filter((c) => c !== 10 && c !== 13)
    const text = fc.string({ unit: byte.map((c) => String.fromCharCode(c)), maxLength: 300 })
    const value = fc.tuple(fc.constantFrom('', 'Bearer ', 'bearer\t'), text).map(([s, t]) => s + t)
    await check(
      'arbitrary header values',
      fc.asyncProperty(value, path, async (header, at) => {
        const sent = await world.send(header, at)
        await expectVerdict(sent, await world.oracle.decide(sent.authorization, at))
      }),
    )
  })
})
