import { defineConfig } from 'vitest/config'

// Plain Node needs nothing beyond the defaults; `root` keeps the run to this folder.
export default defineConfig({ test: { root: import.meta.dirname } })
