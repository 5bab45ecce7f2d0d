import { describe, expect, test } from 'vitest'
import { withCaracal } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'

async function send(options: Record<string, unknown>, claims: Record<string, unknown> = {}) {
  const zone = await devZone()
  const h = withCaracal(() => new Response('ok'), { ...zone.options, ...options })
  return h(await zone.request(claims))
}

describe('refusal texts', () => {
  test('chain_mismatch names the missing application, as Caracal does', async () => {
    const res = await send({ requireChainContains: ['app-b'] }, { delegation_chain: [{ application_id: 'app-a' }] })
    expect(res.status).toBe(403)
    const body = (await res.json()) as Record<string, string>
    expect(body['error']).toBe('chain_mismatch')
    expect(body['error_description']).toBe('Delegation chain missing application: app-b')
    expect(body['error_hint']).toBe('Check requireChainContains and the mandate delegation chain.')
    expect(res.headers.get('www-authenticate')).toContain(
      'error_description="Delegation chain missing application: app-b"',
    )
  })

  test('a required scope beyond Latin-1 is percent-encoded in WWW-Authenticate instead of breaking the response', async () => {
    const res = await send({ requiredScopes: ['billing:€'] })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toContain('scope="billing:%E2%82%AC"')
    expect(((await res.json()) as Record<string, string>)['error_description']).toBe('Missing scope: billing:€')
  })
})
