import { expect, test } from 'vitest'
import { checkToolCalls, resolveToolRequirements } from '../../../src/mcp/tool-requirements.js'
import type { Mandate } from '../../../src/verify/mandate.js'

const mandate = (overrides: Partial<Mandate> = {}): Mandate =>
  ({ use: 'resource', scopes: ['mcp:tools'], targets: [], hopCount: 0, delegationChain: [], ...overrides }) as Mandate

test('no tools configured: every call passes', () => {
  expect(resolveToolRequirements('w', undefined).size).toBe(0)
  expect(checkToolCalls(mandate(), ['anything'], resolveToolRequirements('w', {}), [])).toBeUndefined()
})

test('every requirement key of a route is accepted for a tool, and nothing else', () => {
  const tools = resolveToolRequirements('w', {
    t: {
      requiredScopes: ['a'],
      requiredTargets: ['x'],
      requireAgent: true,
      requireDelegation: true,
      requireChainContains: 'app',
      maxHopCount: 2,
      requiredUse: 'resource',
    },
  })
  expect(tools.get('t')?.requirements.requireChainContains).toEqual(['app'])
  expect(() => resolveToolRequirements('w', { t: { exclude: ['/x'] } })).toThrow(
    'w: tools["t"]: unknown option `exclude`',
  )
})

test('a repeated tool is checked once; an unconfigured tool adds nothing', () => {
  const tools = resolveToolRequirements('w', { admin: { requiredScopes: ['mcp:admin'] } })
  const error = checkToolCalls(mandate(), ['echo', 'admin', 'admin'], tools, ['mcp:tools'])
  expect(error?.code).toBe('insufficient_scope')
  expect(error?.requiredScopes).toEqual(['mcp:tools', 'mcp:admin'])
  expect(error?.missingScopes).toEqual(['mcp:admin'])
  expect(
    checkToolCalls(mandate({ scopes: ['mcp:tools', 'mcp:admin'] }), ['admin'], tools, ['mcp:tools']),
  ).toBeUndefined()
  expect(checkToolCalls(mandate(), ['echo'], tools, ['mcp:tools'])).toBeUndefined()
})

test('a missing target is invalid_token, as on a route', () => {
  const tools = resolveToolRequirements('w', { t: { requiredTargets: ['ledger'] } })
  expect(checkToolCalls(mandate(), ['t'], tools, [])?.code).toBe('invalid_token')
  expect(checkToolCalls(mandate({ targets: ['ledger'] }), ['t'], tools, [])).toBeUndefined()
})
