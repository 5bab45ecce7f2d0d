/**
 * Reading the bearer token from the Authorization header: the scheme, the blanks around the token,
 * and headers that hold no token or two. One topic of the core contract (composed in ./index.ts),
 * run unchanged in every runtime.
 */
import { equal, type ContractCase } from '../assert.js'
import { fixture, refusal } from './setup.js'

export function extractionCases(): ContractCase[] {
  return [
    refusal('no Authorization header is missing_token', 401, 'missing_token', (f) => f.call(undefined)),
    refusal('another scheme is missing_token', 401, 'missing_token', (f) =>
      f.call(undefined, { authorization: 'Basic dXNlcjpwYXNz' }),
    ),
    refusal('Bearer with nothing after it is missing_token', 401, 'missing_token', (f) =>
      f.call(undefined, { authorization: 'Bearer' }),
    ),
    refusal('Bearer without whitespace is missing_token', 401, 'missing_token', async (f) =>
      f.call(undefined, { authorization: `Bearer${await f.dev.mint()}` }),
    ),
    {
      name: 'the scheme is case-insensitive and surrounding whitespace is trimmed',
      async run() {
        const f = await fixture()
        const res = await f.call(undefined, { authorization: `bEaReR \t ${await f.dev.mint()}` })
        equal(res.status, 200, 'status')
      },
    },
    refusal('two comma-joined Authorization headers are invalid_token', 401, 'invalid_token', async (f) =>
      f.call(undefined, { authorization: `Bearer ${await f.dev.mint()}, Bearer ${await f.dev.mint()}` }),
    ),
    refusal('"Bearer a b" is invalid_token', 401, 'invalid_token', (f) =>
      f.call(undefined, { authorization: 'Bearer a b' }),
    ),
  ]
}
