/** The testing kit's portable runtime cases (test/runtime/testing-kit.ts) on Node, through the build. */
import { test } from 'vitest'
import { testingKitCases } from '../runtime/testing-kit.js'

for (const c of testingKitCases('node')) test(c.name, () => c.run())
