/**
 * The revocation store contract: written once against the public API (a Request in, a Response
 * out, through `withCaracal`) and run against every store: memory (test/unit), Upstash over a
 * real redis-server (test/integration), Cloudflare KV inside workerd (test/runtime/workerd). No
 * Node API here, so it runs in every runtime.
 *
 * Each case uses fresh anchors and a fresh zone, so cases never see each other's marks even when
 * they share one Redis or one KV namespace.
 */
import { withCaracal, type CaracalOptions, type RevocationStore } from 'caracal-fetch'
import { createDevIssuer, type DevIssuer } from 'caracal-fetch/testing'
import { DEV_ZONE, bearerRequest, trusting } from '../support/fixture.js'
import { equal, match, ok, rejects, type ContractCase } from './assert.js'

/** A store with all of Caracal's interface: the suite revokes and reads back through it. */
export type WritableStore = RevocationStore &
  Required<Pick<RevocationStore, 'markRevoked' | 'markDelegationEpoch' | 'currentDelegationEpoch'>>

/**
 * What the store can do with short lifetimes. A store that cannot expire marks within a test's
 * time (Workers KV: `expirationTtl` >= 60 s) says why; the TTL-lapse cases are then left out, never
 * passed without running, and the store should give an `expiry` probe so that the lifetimes it
 * writes are still checked.
 */
export type TtlCapability = { readonly shortTtlMs: number } | { readonly unsupported: string }

/**
 * Reads the expiry the backend holds for a key, so the lifetime a store writes is checked without
 * waiting for it to lapse (Redis: `PTTL`; Workers KV: `list({ prefix })` -> `expiration`).
 */
export interface ExpiryProbe {
  /** The key's expiry in ms since the Unix epoch, or undefined when the key is absent or has none. */
  read(key: string): Promise<number | undefined>
  /** The backend's shortest lifetime; a shorter TTL is stored as this (KV: 60 000). @default none */
  readonly minTtlMs?: number
  /** Stored lifetimes are whole multiples of this, rounded up (KV: 1000, whole seconds). @default 1 */
  readonly resolutionMs?: number
}

export interface StoreContractOptions {
  /** Store name, shown in every case name, e.g. 'upstash'. */
  readonly name: string
  /** A store to test. May be called once per case; stores may share one backend. */
  create(): WritableStore | Promise<WritableStore>
  /**
   * Takes the store's backend down (stop redis-server, make KV throw) and resolves once it is down;
   * resolves to a function that brings it back.
   */
  outage(): Promise<() => void | Promise<void>>
  readonly ttl: TtlCapability
  /** When given, the stored expiry of every mark is checked against the TTL it was written with. */
  readonly expiry?: ExpiryProbe
  /** Extra `withCaracal` options (e.g. a `revocationTimeoutMs` above the store's own deadline). */
  readonly caracal?: Partial<CaracalOptions>
  /** How long a write may take to be visible to a read, in ms (eventually consistent stores). @default 0 */
  readonly settleMs?: number
}

/** Caracal's key layout (caracal-mandates.md section 5); the stores under test keep the default prefix. */
const PREFIX = 'caracal:revoked:sessions:'
/** Round trips and clock reads around a write, in ms. */
const EXPIRY_SLACK_MS = 250
const ANCHORS = ['sid', 'root_sid', 'agent_session_id', 'delegation_edge_id'] as const

interface Fixture {
  dev: DevIssuer
  store: WritableStore
  zoneId: string
  calls: number
  call(token: string): Promise<Response>
  /** Anchors of one fresh mandate shape: every kind present, all unique. */
  anchors(): Record<(typeof ANCHORS)[number], string>
}

/** Caracal's interface answers "no epoch" with null or undefined. */
function none(value: unknown, what: string): void {
  ok(value === null || value === undefined, `${what}: expected no value, got ${JSON.stringify(value)}`)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const unique = (label: string): string => `${label}-${crypto.randomUUID()}`

async function fixture(options: StoreContractOptions): Promise<Fixture> {
  const zoneId = unique('zone')
  // A zone of its own per case: stores that persist (Redis, KV) must not see another case's marks.
  const dev = await createDevIssuer({ ...DEV_ZONE, zoneId })
  const store = await options.create()
  const handler = withCaracal(
    () => {
      f.calls++
      return new Response('ok')
    },
    { ...trusting(dev), revocations: store, ...options.caracal },
  )
  const f: Fixture = {
    dev,
    store,
    zoneId,
    calls: 0,
    call: (token) => handler(bearerRequest(token, '/invoices')),
    anchors: () => ({
      sid: unique('sid'),
      root_sid: unique('root'),
      agent_session_id: unique('as'),
      delegation_edge_id: unique('edge'),
    }),
  }
  return f
}

async function expectStatus(res: Response, status: number, code: string | undefined, what: string): Promise<void> {
  const body = await res.text()
  equal(res.status, status, `${what}: status (body ${body.slice(0, 120)})`)
  if (code !== undefined) equal((JSON.parse(body) as { error?: string }).error, code, `${what}: error code`)
}

/**
 * The cases, named `<store>: ...`. Runners turn each into a test of their framework.
 *
 * @example
 * ```ts
 * for (const c of storeContract({ name: 'memory', create: () => new MemoryRevocationStore(), outage, ttl: { shortTtlMs: 50 } }))
 *   test(c.name, () => c.run())
 * ```
 */
export function storeContract(options: StoreContractOptions): ContractCase[] {
  const settle = (): Promise<void> => sleep(options.settleMs ?? 0)
  const named = (name: string): string => `${options.name}: ${name}`
  const cases: ContractCase[] = []

  for (const kind of ANCHORS) {
    cases.push({
      name: named(`a revoked ${kind} is 401 session_revoked and the handler does not run`),
      async run() {
        const f = await fixture(options)
        const anchors = f.anchors()
        const token = await f.dev.mint({ ...anchors })
        const bystander = await f.dev.mint({ ...f.anchors() })
        await expectStatus(await f.call(token), 200, undefined, 'before revocation')
        equal(await f.store.isRevoked(anchors[kind]), false, 'isRevoked before')
        await f.store.markRevoked(anchors[kind])
        await settle()
        equal(await f.store.isRevoked(anchors[kind]), true, 'isRevoked after')
        f.calls = 0
        const res = await f.call(token)
        match(res.headers.get('www-authenticate'), /error="session_revoked"/, 'WWW-Authenticate')
        await expectStatus(res, 401, 'session_revoked', 'after revocation')
        equal(f.calls, 0, 'handler calls')
        await expectStatus(await f.call(bystander), 200, undefined, 'a mandate with other anchors')
      },
    })
  }

  cases.push({
    name: named('a revocation reaches a mandate whose verification is cached'),
    async run() {
      const f = await fixture(options)
      const anchors = f.anchors()
      const token = await f.dev.mint({ ...anchors })
      await expectStatus(await f.call(token), 200, undefined, 'first')
      await expectStatus(await f.call(token), 200, undefined, 'second (cached)')
      await f.store.markRevoked(anchors.root_sid)
      await settle()
      await expectStatus(await f.call(token), 401, 'session_revoked', 'after revocation')
    },
  })

  cases.push({
    name: named(
      'epochs only rise: a lower markDelegationEpoch is ignored, a raise makes older mandates delegation_stale',
    ),
    async run() {
      const f = await fixture(options)
      const at = async (epoch: number): Promise<Response> =>
        f.call(await f.dev.mint({ ...f.anchors(), delegation_graph_epoch: epoch }))
      none(await f.store.currentDelegationEpoch(f.zoneId), 'no epoch stored yet')
      await expectStatus(await at(0), 200, undefined, 'no stored epoch: any claim passes')
      await f.store.markDelegationEpoch(f.zoneId, 5)
      await settle()
      equal(await f.store.currentDelegationEpoch(f.zoneId), 5, 'epoch raised to 5')
      await expectStatus(await at(5), 200, undefined, 'mandate at the current epoch')
      await expectStatus(await at(6), 200, undefined, 'mandate above the stored epoch')
      f.calls = 0
      await expectStatus(await at(4), 401, 'delegation_stale', 'mandate below the current epoch')
      equal(f.calls, 0, 'handler calls')

      await f.store.markDelegationEpoch(f.zoneId, 3)
      await f.store.markDelegationEpoch(f.zoneId, 5)
      await settle()
      equal(await f.store.currentDelegationEpoch(f.zoneId), 5, 'a lower or equal epoch is ignored')
      await expectStatus(await at(4), 401, 'delegation_stale', 'still stale after the ignored lower write')

      await f.store.markDelegationEpoch(f.zoneId, 7)
      await settle()
      equal(await f.store.currentDelegationEpoch(f.zoneId), 7, 'epoch raised to 7')
      await expectStatus(await at(5), 401, 'delegation_stale', 'the former current epoch is now stale')
      await expectStatus(await at(7), 200, undefined, 'mandate at the new epoch')
      await expectStatus(await f.call(await f.dev.mint(f.anchors())), 200, undefined, 'a mandate without the claim')
    },
  })

  cases.push({
    name: named("another zone's epoch does not touch this zone's mandates"),
    async run() {
      const f = await fixture(options)
      await f.store.markDelegationEpoch(unique('zone-other'), 50)
      await settle()
      await expectStatus(
        await f.call(await f.dev.mint({ ...f.anchors(), delegation_graph_epoch: 1 })),
        200,
        undefined,
        'status',
      )
    },
  })

  if ('shortTtlMs' in options.ttl) {
    const ttl = options.ttl.shortTtlMs
    cases.push({
      name: named(`a revocation marked with a ${ttl} ms TTL lapses after it`),
      async run() {
        const f = await fixture(options)
        const anchors = f.anchors()
        const token = await f.dev.mint({ ...anchors })
        await f.store.markRevoked(anchors.agent_session_id, ttl)
        await settle()
        await expectStatus(await f.call(token), 401, 'session_revoked', 'within the TTL')
        await sleep(ttl + 250)
        equal(await f.store.isRevoked(anchors.agent_session_id), false, 'isRevoked after the TTL')
        await expectStatus(await f.call(token), 200, undefined, 'after the TTL')
      },
    })
    cases.push({
      name: named(`a delegation epoch marked with a ${ttl} ms TTL lapses after it`),
      async run() {
        const f = await fixture(options)
        const token = await f.dev.mint({ ...f.anchors(), delegation_graph_epoch: 1 })
        await f.store.markDelegationEpoch(f.zoneId, 2, ttl)
        await settle()
        await expectStatus(await f.call(token), 401, 'delegation_stale', 'within the TTL')
        await sleep(ttl + 250)
        none(await f.store.currentDelegationEpoch(f.zoneId), 'epoch after the TTL')
        await expectStatus(await f.call(token), 200, undefined, 'after the TTL')
      },
    })
  }

  if (options.expiry !== undefined) {
    const probe = options.expiry
    const resolution = probe.resolutionMs ?? 1
    /** The lifetime the backend should hold for a TTL: at least its floor, rounded up to its resolution. */
    const stored = (ttlMs: number): number => Math.ceil(Math.max(ttlMs, probe.minTtlMs ?? 0) / resolution) * resolution
    /** Writes with `write`, then checks the key's expiry is now + stored(ttlMs); answers the expiry. */
    const expectExpiry = async (key: string, ttlMs: number, write: () => unknown, what: string): Promise<number> => {
      const before = Date.now()
      await write()
      const after = Date.now()
      const expiry = await probe.read(key)
      ok(expiry !== undefined, `${what}: the key has an expiry`)
      const low = before + stored(ttlMs) - resolution - EXPIRY_SLACK_MS
      const high = after + stored(ttlMs) + EXPIRY_SLACK_MS
      ok(
        expiry! >= low && expiry! <= high,
        `${what}: expiry now+${expiry! - after} ms, expected now+${stored(ttlMs)} ms (${ttlMs} ms asked)`,
      )
      return expiry!
    }
    const revokedTtls = [...(probe.minTtlMs === undefined ? [] : [1]), 90_500]
    cases.push({
      name: named(
        `markRevoked stores its TTL as the key's expiry (${revokedTtls.map((t) => `${t} ms -> ${stored(t)} ms`).join(', ')}, default 24 h)`,
      ),
      async run() {
        const f = await fixture(options)
        for (const ttl of revokedTtls) {
          const anchor = unique('sid')
          await expectExpiry(`${PREFIX}${anchor}`, ttl, () => f.store.markRevoked(anchor, ttl), `markRevoked(${ttl})`)
          equal(await f.store.isRevoked(anchor), true, `isRevoked after markRevoked(${ttl})`)
        }
        const anchor = unique('sid')
        await expectExpiry(`${PREFIX}${anchor}`, 86_400_000, () => f.store.markRevoked(anchor), 'markRevoked()')
      },
    })
    const firstTtl = probe.minTtlMs === undefined ? 90_500 : 1
    cases.push({
      name: named(
        `markDelegationEpoch: a raise stores its TTL (${firstTtl} ms -> ${stored(firstTtl)} ms), a lower or equal epoch leaves value and expiry, the next raise resets the expiry`,
      ),
      async run() {
        const f = await fixture(options)
        const key = `${PREFIX}delegation-epoch:${f.zoneId}`
        const first = await expectExpiry(
          key,
          firstTtl,
          () => f.store.markDelegationEpoch(f.zoneId, 5, firstTtl),
          'first epoch',
        )
        for (const epoch of [3, 5]) {
          await f.store.markDelegationEpoch(f.zoneId, epoch, 200_000)
          await settle()
          equal(await f.store.currentDelegationEpoch(f.zoneId), 5, `after markDelegationEpoch(${epoch}): epoch`)
          const expiry = await probe.read(key)
          ok(
            expiry !== undefined && Math.abs(expiry - first) <= EXPIRY_SLACK_MS,
            `after markDelegationEpoch(${epoch}): expiry unchanged (was ${first}, now ${expiry})`,
          )
        }
        await expectExpiry(key, 120_500, () => f.store.markDelegationEpoch(f.zoneId, 7, 120_500), 'raise to 7')
        equal(await f.store.currentDelegationEpoch(f.zoneId), 7, 'epoch after the raise')
      },
    })
  }

  cases.push({
    name: named('markRevoked refuses an anchor that would name the zone epoch key, and the epoch stays'),
    async run() {
      const f = await fixture(options)
      await f.store.markDelegationEpoch(f.zoneId, 7)
      await rejects(
        () => f.store.markRevoked(`delegation-epoch:${f.zoneId}`),
        /must not start with "delegation-epoch:"/,
        'markRevoked',
      )
      await settle()
      equal(await f.store.currentDelegationEpoch(f.zoneId), 7, 'epoch')
      const token = await f.dev.mint({ ...f.anchors(), delegation_graph_epoch: 3 })
      await expectStatus(await f.call(token), 401, 'delegation_stale', 'a mandate from epoch 3')
    },
  })

  cases.push({
    name: named(
      'a store outage is 503 temporarily_unavailable with Retry-After, the handler does not run, and it recovers',
    ),
    async run() {
      const f = await fixture(options)
      const anchors = f.anchors()
      const token = await f.dev.mint({ ...anchors, delegation_graph_epoch: 1 })
      await expectStatus(await f.call(token), 200, undefined, 'before the outage')
      f.calls = 0
      const restore = await options.outage()
      try {
        for (const t of [token, await f.dev.mint({ ...f.anchors() })]) {
          const res = await f.call(t)
          match(res.headers.get('retry-after'), /^\d+$/, 'Retry-After')
          ok(res.headers.get('www-authenticate') === null, 'no WWW-Authenticate on 503')
          await expectStatus(res, 503, 'temporarily_unavailable', 'during the outage')
        }
        equal(f.calls, 0, 'handler calls during the outage')
      } finally {
        await restore()
      }
      await settle()
      await expectStatus(await f.call(token), 200, undefined, 'after the outage')
    },
  })

  return cases
}
