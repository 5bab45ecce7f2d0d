/**
 * How the fuzz properties run: one fixed seed and a bounded count in CI, any count and seed from
 * the environment for `npm run fuzz`, and a failure message that says how to replay the case.
 *
 * - FUZZ_RUNS: total cases over all properties (each gets its share below). CI default: 2,000.
 * - FUZZ_SEED: the seed (default fixed, so CI is reproducible); FUZZ_PATH: replay one case.
 */
import fc from 'fast-check'

/** Each property's share of FUZZ_RUNS (the shares add up to 1). */
export const SHARES = {
  'bit flips in each segment': 0.14,
  'alphabet abuse': 0.1,
  'attacker-signed tokens': 0.06,
  'legit-signed headers and encodings': 0.04,
  'junk tokens': 0.02,
  'legit-signed claim attacks': 0.18,
  'duplicate JSON keys': 0.08,
  'scope separators': 0.08,
  'refusal texts': 0.04,
  'store failure': 0.04,
  'JWKS failure': 0.04,
  'ambiguous kid': 0.02,
  'Authorization spellings': 0.08,
  'arbitrary header values': 0.04,
  'huge and deep values': 0.02,
  'unknown kid flood': 0.02,
} as const satisfies Record<string, number>

export type PropertyName = keyof typeof SHARES

const sum = Object.values(SHARES).reduce((a, b) => a + b, 0)
if (Math.abs(sum - 1) > 1e-9) throw new Error(`fuzz shares add up to ${sum}, not 1`)

const CI_TOTAL = 2000
const total = Number(process.env['FUZZ_RUNS'] ?? CI_TOTAL)
const seed = Number(process.env['FUZZ_SEED'] ?? 1414)
const path = process.env['FUZZ_PATH']
if (!Number.isSafeInteger(total) || total < 1) throw new Error(`FUZZ_RUNS must be a positive integer, got ${total}`)
if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${process.env['FUZZ_SEED']}`)
/** True under `npm run fuzz`: print the count and seed of each property. */
export const FUZZ_MODE = process.env['FUZZ_MODE'] === '1'
/** A test timeout that grows with the count. */
export const TIMEOUT_MS = Math.max(60_000, total * 5)

/** How often each answer was expected in the property running now (printed under FUZZ_MODE). */
export const tally = new Map<string, number>()

export function count(outcome: string): void {
  tally.set(outcome, (tally.get(outcome) ?? 0) + 1)
}

export function runsOf(name: PropertyName): number {
  return Math.max(1, Math.round(total * SHARES[name]))
}

/**
 * Runs `property` with its share of the cases and the suite's seed. On failure the error names
 * the seed, the path and the shrunk counterexample, and the command that replays exactly that case.
 */
export async function check<T>(name: PropertyName, property: fc.IAsyncPropertyWithHooks<T>): Promise<void> {
  const numRuns = runsOf(name)
  const started = performance.now()
  tally.clear()
  const result = await fc.check(property, {
    seed,
    numRuns,
    ...(path === undefined ? {} : { path, endOnFailure: true }),
  })
  if (FUZZ_MODE) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const seen = [...tally].map(([outcome, n]) => `${outcome} ${n}`).join(', ')
    process.stdout.write(`fuzz: ${name}: ${result.numRuns} cases, seed ${seed}, ${seconds} s (${seen})\n`)
  }
  if (!result.failed) return
  const replay = `FUZZ_SEED=${result.seed} FUZZ_PATH=${result.counterexamplePath} npm run fuzz -- -t '${name}'`
  const error = result.errorInstance
  const message = error instanceof Error ? error.message : String(error)
  throw new Error(
    `property "${name}" failed after ${result.numRuns} case(s), shrunk ${result.numShrinks} time(s)\n` +
      `replay: ${replay}\n` +
      `counterexample: ${fc.stringify(result.counterexample)}\n` +
      `failure: ${message}`,
  )
}
