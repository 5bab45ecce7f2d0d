import { afterEach, describe, expect, test, vi } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { createDevIssuer } from '../../../src/testing.js'

const revocations = new MemoryRevocationStore()
const A = { issuer: 'https://sts.example', zoneId: 'zone-a' }
const B = { issuer: 'https://sts.example', zoneId: 'zone-b' }
const make = (options: Record<string, unknown>) =>
  withCaracal(() => new Response('ok'), { audience: 'resource://api', revocations, ...options } as CaracalOptions)

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('the `trust` option at construction', () => {
  test('accepts pairs of one or several issuers, and needs neither `issuer` nor `zoneId` nor their variables', () => {
    vi.stubEnv('CARACAL_STS_URL', '')
    vi.stubEnv('CARACAL_ZONE_ID', '')
    expect(() => make({ trust: [A] })).not.toThrow()
    expect(() => make({ trust: [A, B, { issuer: 'http://127.0.0.1:8080/sts', zoneId: 'zone-a' }] })).not.toThrow()
  })

  test('with `issuer` or `zoneId` as well is a TypeError', () => {
    expect(() => make({ trust: [A], issuer: A.issuer })).toThrow(/either `trust` or `issuer`\/`zoneId`, not both/)
    expect(() => make({ trust: [A], zoneId: 'zone-a' })).toThrow(TypeError)
  })

  test('with a static `jwks` is a TypeError', async () => {
    const { jwks } = await createDevIssuer()
    expect(() => make({ ...A, jwks })).not.toThrow()
    expect(() => make({ trust: [A], jwks })).toThrow(/`jwks`.*`trust`/)
  })

  test('anything but a non-empty array of { issuer, zoneId } is a TypeError naming the entry', () => {
    for (const trust of [[], {}, 'https://sts.example', [null], [[A.issuer, A.zoneId]]]) {
      expect(() => make({ trust }), JSON.stringify(trust)).toThrow(TypeError)
    }
    expect(() => make({ trust: [A, { issuer: A.issuer }] })).toThrow(/trust\[1\]: `zoneId` must be a non-empty string/)
    expect(() => make({ trust: [{ issuer: '', zoneId: 'z' }] })).toThrow(/trust\[0\]: `issuer` must be a non-empty/)
    expect(() => make({ trust: [{ issuer: A.issuer, zoneId: 7 }] })).toThrow(/`zoneId` must be a non-empty string/)
  })

  test('an unknown key in an entry is a TypeError with the nearest known key', () => {
    expect(() => make({ trust: [A, { issuer: A.issuer, zone: 'zone-b' }] })).toThrow(
      'withCaracal: trust[1]: unknown option `zone`; did you mean `zoneId`?',
    )
    expect(() => make({ trust: [{ ...A, audience: 'resource://api' }] })).toThrow(
      /trust\[0\]: unknown option `audience`/,
    )
  })

  test('each issuer is checked as `issuer` is', () => {
    expect(() => make({ trust: [A, { issuer: 'http://sts.example', zoneId: 'z' }] })).toThrow(/trust\[1\]: issuer/)
    expect(() => make({ trust: [{ issuer: 'https://sts.example/?x=1', zoneId: 'z' }] })).toThrow(/no query/)
    expect(() => make({ trust: [{ issuer: 'not a url', zoneId: 'z' }] })).toThrow(TypeError)
  })

  test('a pair given twice is a TypeError; the same zone under two issuers is two pairs', () => {
    expect(() => make({ trust: [A, B, { ...A }] })).toThrow(
      /trust\[2\] repeats issuer "https:\/\/sts.example" with zone "zone-a"/,
    )
    expect(() => make({ trust: [A, { issuer: 'https://other.example', zoneId: A.zoneId }] })).not.toThrow()
  })

  test('the caller’s list is neither kept nor changed', () => {
    const trust = [{ ...A }, { ...B }]
    const snapshot = JSON.stringify(trust)
    make({ trust })
    expect(JSON.stringify(trust)).toBe(snapshot)
    expect(Object.isFrozen(trust)).toBe(false)
    expect(Object.isFrozen(trust[0])).toBe(false)
  })
})
