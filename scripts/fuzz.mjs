#!/usr/bin/env node
// `npm run fuzz`: the fuzz properties of test/fuzz/ with many cases (FUZZ_RUNS, default 1,000,000
// over all properties) and a fresh random seed unless FUZZ_SEED is given; the seed is printed
// first, and any failure prints the seed, path and counterexample to replay it with
// `FUZZ_SEED=<seed> FUZZ_PATH=<path> npm run fuzz -- -t '<property>'`. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process'

const env = { ...process.env, FUZZ_MODE: '1' }
env.FUZZ_RUNS ??= '1000000'
env.FUZZ_SEED ??= String((Math.random() * 2 ** 31) | 0)
process.stdout.write(`fuzz: ${env.FUZZ_RUNS} cases over all properties, seed ${env.FUZZ_SEED}\n`)
const run = spawnSync(
  'vitest',
  ['run', '--config', 'test/fuzz/vitest.config.ts', '--reporter=default', ...process.argv.slice(2)],
  { stdio: 'inherit', env, shell: false },
)
process.stdout.write(`fuzz: seed ${env.FUZZ_SEED} (replay: FUZZ_SEED=${env.FUZZ_SEED} npm run fuzz)\n`)
process.exit(run.status ?? 1)
