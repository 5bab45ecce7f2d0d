/**
 * Refusals as `onError` and the client see them: the hook's own failures change nothing, the cause
 * goes to the hook and never to the client, and the challenge advertises the resource metadata.
 */
import { describe, expect, test } from 'vitest'
import { withCaracal } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'

const ok = () => new Response('ok')

describe('diagnostics', () => {
  test('an onError hook that throws does not change the response', async () => {
    const { options: base } = await devZone()
    const h = withCaracal(ok, {
      ...base,
      onError: () => {
        throw new Error('logger down')
      },
    })
    const res = await h(new Request('https://api.example/x'))
    expect(res.status).toBe(401)
  })

  test('an async onError hook that rejects does not change the response or leave an unhandled rejection', async () => {
    const { options: base } = await devZone()
    const unhandled: unknown[] = []
    const listener = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', listener)
    try {
      let reports = 0
      const h = withCaracal(ok, {
        ...base,
        onError: async () => {
          reports++
          throw new Error('log sink down')
        },
      })
      const res = await h(new Request('https://api.example/x'))
      expect(res.status).toBe(401)
      expect(reports).toBe(1)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', listener)
    }
  })

  test('onError gets the cause of a store failure; the client gets no internals', async () => {
    const { options: base, request: req } = await devZone()
    const errors: unknown[] = []
    const h = withCaracal(ok, {
      ...base,
      revocations: {
        isRevoked() {
          throw new Error('ECONNREFUSED 10.1.2.3:6379')
        },
      },
      onError: (e) => errors.push(e),
    })
    const res = await h(await req())
    expect(res.status).toBe(503)
    expect(await res.text()).not.toMatch(/ECONNREFUSED|10\.1\.2\.3/)
    expect(errors).toHaveLength(1)
    expect(String((errors[0] as Error).cause)).toMatch(/ECONNREFUSED/)
  })

  test('resourceMetadata is advertised in WWW-Authenticate', async () => {
    const { options: base } = await devZone()
    const h = withCaracal(ok, { ...base, resourceMetadata: 'https://api.example/.well-known/oauth-protected-resource' })
    const res = await h(new Request('https://api.example/x'))
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://api.example/.well-known/oauth-protected-resource"',
    )
  })
})
