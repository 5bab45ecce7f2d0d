import { describe, expect, it } from 'vitest'
import { nearestKey, rejectUnknownKeys } from '../../src/option-keys.js'

const KNOWN = ['audience', 'requiredScopes', 'requiredTargets', 'issuer', 'zoneId'] as const

describe('rejectUnknownKeys', () => {
  it('accepts known keys', () => {
    expect(() => rejectUnknownKeys('withCaracal', { audience: 'a', requiredScopes: [] }, KNOWN)).not.toThrow()
  })

  it('names a misspelt key and suggests the nearest known one', () => {
    expect(() => rejectUnknownKeys('withCaracal', { requiredScope: ['x'] }, KNOWN)).toThrow(
      new TypeError('withCaracal: unknown option `requiredScope`; did you mean `requiredScopes`?'),
    )
  })

  it('lists the known keys when nothing is close', () => {
    expect(() => rejectUnknownKeys('store', { colour: 1 }, ['ttlMs', 'prefix'])).toThrow(
      'store: unknown option `colour`; known options: ttlMs, prefix',
    )
  })
})

describe('nearestKey', () => {
  it('matches case slips and small typos', () => {
    expect(nearestKey('zoneID', KNOWN)).toBe('zoneId')
    expect(nearestKey('isuer', KNOWN)).toBe('issuer')
    expect(nearestKey('requiredTarget', KNOWN)).toBe('requiredTargets')
  })

  it('suggests nothing for an unrelated word', () => {
    expect(nearestKey('banana', KNOWN)).toBeUndefined()
  })
})
