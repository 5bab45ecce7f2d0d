import { smokeSuite, type SmokeSpec } from './harness.js'
import { bunChecks } from './bun-checks.js'
import { honoChecks } from './hono-checks.js'

const specs: SmokeSpec[] = [
  { name: 'node' },
  { name: 'hono', checks: honoChecks },
  { name: 'bun', checks: bunChecks, env: () => ({ REVALIDATE_MS: '100' }) },
  { name: 'deno' },
]

// SMOKE_ONLY=bun,deno limits the run to some examples.
const only = process.env['SMOKE_ONLY']?.split(',')
for (const spec of specs) if (only === undefined || only.includes(spec.name)) smokeSuite(spec)
