import { describe, expect, test } from 'vitest'
import { withCaracal, type CaracalError } from '../../../src/index.js'
import { devZone } from '../../support/dev-zone.js'

async function setup() {
  const { dev, options } = await devZone()
  const errors: CaracalError[] = []
  const h = withCaracal(() => new Response('ok'), { ...options, onError: (e) => errors.push(e) })
  const send = (authorization: string) => h(new Request('https://api.example/x', { headers: { authorization } }))
  return { dev, errors, send }
}

describe('the 16 KiB cap applies to the token, not to the header', () => {
  test('100,000 spaces between Bearer and a valid token: accepted', async () => {
    const { dev, send } = await setup()
    const token = await dev.mint()
    expect((await send(`Bearer${' '.repeat(100_000)}${token}`)).status).toBe(200)
    expect((await send(`Bearer\t${' \t'.repeat(50_000)}${token}${' '.repeat(100_000)}`)).status).toBe(200)
  })

  test('a token over 16 KiB is invalid_token, however it is spelt', async () => {
    const { errors, send } = await setup()
    const res = await send(`Bearer ${'a'.repeat(16 * 1024 + 1)}`)
    expect(res.status).toBe(401)
    expect(errors[0]?.code).toBe('invalid_token')
    expect(errors[0]?.reason).toMatch(/16384/)
  })
})
