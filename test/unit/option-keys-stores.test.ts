import { describe, expect, test } from 'vitest'
import { MemoryRevocationStore } from '../../src/index.js'
import { UpstashRevocationStore } from '../../src/upstash.js'
import { KvRevocationStore } from '../../src/cloudflare-kv.js'

const redis = { mget: async () => [], set: async () => 'OK', eval: async () => 1 }
const kv = { get: async () => null, put: async () => undefined }

describe('store options: an unknown key is a TypeError naming it', () => {
  test('MemoryRevocationStore', () => {
    expect(() => new MemoryRevocationStore({ ttl: 1000 } as never)).toThrow(
      new TypeError('MemoryRevocationStore: unknown option `ttl`; did you mean `ttlMs`?'),
    )
  })
  test('UpstashRevocationStore', () => {
    expect(() => new UpstashRevocationStore(redis as never, { prefix: 'x:' } as never)).toThrow(
      /UpstashRevocationStore: unknown option `prefix`; (did you mean `keyPrefix`\?|known options)/,
    )
    expect(() => new UpstashRevocationStore(redis as never, { timeoutMS: 5 } as never)).toThrow(
      new TypeError('UpstashRevocationStore: unknown option `timeoutMS`; did you mean `timeoutMs`?'),
    )
  })
  test('KvRevocationStore', () => {
    expect(() => new KvRevocationStore(kv as never, { cacheTTL: 60 } as never)).toThrow(
      new TypeError('KvRevocationStore: unknown option `cacheTTL`; did you mean `cacheTtl`?'),
    )
  })
  test('the known keys still pass', () => {
    expect(() => new MemoryRevocationStore({ ttlMs: 1, maxEntries: 1, now: Date.now })).not.toThrow()
    expect(() => new UpstashRevocationStore(redis as never, { keyPrefix: 'p:', ttlMs: 1, timeoutMs: 1 })).not.toThrow()
    expect(() => new KvRevocationStore(kv as never, { keyPrefix: 'p:', ttlMs: 1, cacheTtl: 60 })).not.toThrow()
  })
})
