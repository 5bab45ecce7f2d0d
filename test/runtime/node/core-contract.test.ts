import { test } from 'vitest'
import { coreContract } from '../../contract/core/index.js'

for (const c of coreContract()) test(c.name, () => c.run())
