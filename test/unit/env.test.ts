// globalEnvDenial tells "Deno forbids reading it" from "not set". The real permission error is
// exercised by the Deno runner (test/runtime/deno/env-permission.ts); here a stand-in Deno global
// injects each kind of failure on Node.
import { afterEach, describe, expect, test } from 'vitest'
import { globalEnvDenial } from '../../src/env.js'
import { MemoryRevocationStore, withCaracal } from '../../src/index.js'

const g = globalThis as { Deno?: unknown }

function denoThrowing(name: string | undefined): void {
  g.Deno = {
    env: {
      get() {
        const error = new Error('Requires env access')
        if (name !== undefined) error.name = name
        throw error
      },
    },
  }
}

afterEach(() => {
  delete g.Deno
})

describe('globalEnvDenial', () => {
  test('names the flag for NotCapable (Deno 2) and PermissionDenied (Deno 1)', () => {
    for (const kind of ['NotCapable', 'PermissionDenied']) {
      denoThrowing(kind)
      expect(globalEnvDenial('CARACAL_STS_URL')).toBe('Deno needs --allow-env=CARACAL_STS_URL')
    }
  })

  test('is undefined outside Deno, when reading works, and for other failures', () => {
    expect(globalEnvDenial('CARACAL_STS_URL')).toBeUndefined()
    g.Deno = { env: { get: () => undefined } }
    expect(globalEnvDenial('CARACAL_STS_URL')).toBeUndefined()
    denoThrowing(undefined)
    expect(globalEnvDenial('CARACAL_STS_URL')).toBeUndefined()
  })

  test('turns the construction error into the permission it lacks', () => {
    const previous = process.env.CARACAL_STS_URL
    delete process.env.CARACAL_STS_URL
    try {
      denoThrowing('NotCapable')
      expect(() =>
        withCaracal(() => new Response(), { audience: 'a', zoneId: 'z', revocations: new MemoryRevocationStore() }),
      ).toThrow('withCaracal: cannot read CARACAL_STS_URL: Deno needs --allow-env=CARACAL_STS_URL (or pass `issuer`)')
      delete g.Deno
      expect(() =>
        withCaracal(() => new Response(), { audience: 'a', zoneId: 'z', revocations: new MemoryRevocationStore() }),
      ).toThrow('withCaracal: no issuer; pass `issuer` or set CARACAL_STS_URL')
    } finally {
      if (previous !== undefined) process.env.CARACAL_STS_URL = previous
    }
  })
})
