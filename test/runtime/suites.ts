/**
 * The portable contract suites every runtime runner executes, through the built package by name:
 * the core verification contract and the store contract against `MemoryRevocationStore`.
 */
import type { ContractCase } from '../contract/assert.js'
import { coreContract } from '../contract/core/index.js'
import { memoryStoreContract } from '../contract/memory-store.js'

export function portableSuites(): ContractCase[] {
  return [...coreContract(), ...memoryStoreContract()]
}
