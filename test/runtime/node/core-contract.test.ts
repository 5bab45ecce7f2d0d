import { test } from 'vitest'
import { coreContract } from '../contract/core.js'

for (const c of coreContract()) test(c.name, () => c.run())
