// The default log of deployment failures: 5xx refusals only, once per cause per minute (fake
// clock through the `now` option), redirected or silenced by `logger`, off when `onError` is wired.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import type { DevIssuer } from '../../../src/testing.js'
import { devZone } from '../../support/dev-zone.js'
import { AUDIENCE } from '../../support/fixture.js'

async function setup(extra: Partial<CaracalOptions> = {}) {
  const { dev, options: trusted } = await devZone()
  const clock = { now: 1_000_000 }
  const lines: { message: string; details: unknown }[] = []
  const options: CaracalOptions = {
    ...trusted,
    logger: (message, details) => lines.push({ message, details }),
    // The mandate cache is keyed to real time; dev tokens carry real iat/exp.
    now: () => Date.now() + (clock.now - 1_000_000),
    ...extra,
  }
  const handler = withCaracal(() => new Response('ok'), options)
  const send = async (authorization?: string, path = '/x?secret=1') => {
    const headers = authorization === undefined ? undefined : { authorization }
    return (await handler(new Request(`https://api.example${path}`, { headers }))).status
  }
  return { dev, clock, lines, send, options }
}

const failingStore = (message: string) => ({
  isRevoked(): never {
    throw new Error(message)
  },
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe('deployment failures are logged', () => {
  test('a JWKS answering 404 is logged once a minute, naming the URL and the status', async () => {
    const { dev, clock, lines, send } = await setup({ fetch: async () => new Response('nope', { status: 404 }) })
    const token = `Bearer ${await dev.mint()}`
    expect(await send(token)).toBe(503)
    expect(lines).toHaveLength(1)
    expect(lines[0]!.message).toMatch(/^caracal-fetch: 503 temporarily_unavailable \(GET https:\/\/api\.example\/x\)/)
    expect(lines[0]!.message).toContain('https://sts.example/')
    expect(lines[0]!.message).toContain('404')
    expect(lines[0]!.message).not.toContain('secret')
    expect(lines[0]!.details).toMatchObject({ code: 'temporarily_unavailable', status: 503 })

    const before = lines.length
    for (let i = 0; i < 5; i++) await send(token)
    clock.now += 59_000
    await send(token)
    // Past the JWKS backoff other reasons appear ("failed recently"); none of them repeats within the minute.
    const messages = lines.slice(before).map((l) => l.message)
    expect(new Set(messages).size).toBe(messages.length)
    const count = lines.length
    clock.now += 61_000
    await send(token)
    expect(lines.length).toBeGreaterThan(count)
  })

  test('a failing store is logged with its cause; a different cause is logged separately', async () => {
    let message = 'connection refused'
    const { dev, clock, lines, send } = await setup({
      revocations: {
        isRevoked() {
          throw new Error(message)
        },
      },
    })
    const token = `Bearer ${await dev.mint()}`
    expect(await send(token)).toBe(503)
    expect(await send(token)).toBe(503)
    expect(lines.map((l) => l.message)).toEqual([
      expect.stringContaining('revocation store failed: connection refused'),
    ])
    expect((lines[0]!.details as { cause: Error }).cause.message).toBe('connection refused')
    message = 'timeout'
    await send(token)
    expect(lines).toHaveLength(2)
    expect(lines[1]!.message).toContain('revocation store failed: timeout')
    clock.now += 60_000
    await send(token)
    expect(lines).toHaveLength(3)
  })

  test('misconfiguration (a handler without a Response) is logged as 500', async () => {
    const lines: string[] = []
    const { dev, options } = await devZone()
    const handler = withCaracal((() => undefined) as unknown as () => Response, {
      ...options,
      logger: { warn: (m: string) => lines.push(m) },
    })
    const res = await handler(await authorized(dev))
    expect(res.status).toBe(500)
    expect(lines).toEqual([expect.stringMatching(/^caracal-fetch: 500 server_misconfigured .*returned undefined/)])
  })

  test('client refusals (401/403) are never logged', async () => {
    const { dev, lines, send } = await setup({ requiredScopes: ['billing:write'] })
    expect(await send()).toBe(401)
    expect(await send('Bearer not-a-token')).toBe(401)
    expect(await send(`Bearer ${await dev.mint({ scope: 'billing:read' })}`)).toBe(403)
    expect(lines).toEqual([])
  })

  test('by default console.warn gets it, unless onError is wired', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { dev, send } = await setup({ logger: undefined, revocations: failingStore('down') })
    expect(await send(`Bearer ${await dev.mint()}`)).toBe(503)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toContain('revocation store failed: down')

    warn.mockClear()
    const reported: string[] = []
    const wired = await setup({
      logger: undefined,
      revocations: failingStore('down'),
      onError: (e) => reported.push(e.code),
    })
    expect(await wired.send(`Bearer ${await wired.dev.mint()}`)).toBe(503)
    expect(reported).toEqual(['temporarily_unavailable'])
    expect(warn).not.toHaveBeenCalled()
  })

  test('logger: false silences it; a logger given beside onError still logs', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const silent = await setup({ logger: false, revocations: failingStore('down') })
    expect(await silent.send(`Bearer ${await silent.dev.mint()}`)).toBe(503)
    expect(warn).not.toHaveBeenCalled()

    const both = await setup({ revocations: failingStore('down'), onError: () => {} })
    expect(await both.send(`Bearer ${await both.dev.mint()}`)).toBe(503)
    expect(both.lines).toHaveLength(1)
  })

  test('a logger that throws does not change the response', async () => {
    const { dev, send } = await setup({
      revocations: failingStore('down'),
      logger: () => {
        throw new Error('log sink down')
      },
    })
    expect(await send(`Bearer ${await dev.mint()}`)).toBe(503)
  })

  test('a flood of distinct causes is bounded', async () => {
    let n = 0
    const { dev, lines, send } = await setup({
      revocations: {
        isRevoked() {
          throw new Error(`failure ${n++}`)
        },
      },
    })
    const token = `Bearer ${await dev.mint()}`
    for (let i = 0; i < 200; i++) await send(token)
    expect(lines.length).toBe(64)
  })

  test('a bad logger is a TypeError at construction', () => {
    for (const logger of ['console', 1, {}, { warn: 'x' }, null, true]) {
      expect(() =>
        withCaracal(() => new Response(), {
          audience: AUDIENCE,
          issuer: 'https://sts.example',
          zoneId: 'z',
          revocations: new MemoryRevocationStore(),
          logger: logger as never,
        }),
      ).toThrow(/^withCaracal: `logger` must be false, a function, or an object with a `warn` method/)
    }
  })
})

async function authorized(dev: DevIssuer): Promise<Request> {
  return new Request('https://api.example/', { headers: { authorization: `Bearer ${await dev.mint()}` } })
}
