import { test } from 'vitest'
import { memoryStoreContract } from '../../contract/memory-store.js'

for (const c of memoryStoreContract()) test(c.name, () => c.run())
