import { describe, expect, test } from 'vitest'
import { withMcpCaracal, type McpCaracalOptions } from '../../src/mcp.js'
import { getMandate } from '../../src/core/request-mandate.js'
import type { CaracalError } from '../../src/errors.js'
import { devZone } from '../support/dev-zone.js'

const { dev, options: base } = await devZone({ audience: 'https://mcp.example/mcp' })

const call = (name: string, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })

function post(token: string, body: unknown, path = '/mcp'): Request {
  return new Request(`https://mcp.example${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** The wrapped handler, and what reached the inner handler: the body text it read. */
function setup(options: Partial<McpCaracalOptions>) {
  const reached: string[] = []
  const errors: CaracalError[] = []
  const handler = withMcpCaracal(
    async (request: Request) => {
      reached.push(await request.text())
      return new Response('handled')
    },
    { ...base, onError: (e) => void errors.push(e), ...options },
  )
  return { handler, reached, errors }
}

describe('construction', () => {
  test('an unknown key in a tool requirement is a TypeError with a suggestion', () => {
    expect(() => setup({ tools: { admin: { requiredScope: ['x'] } as never } })).toThrow(
      'withMcpCaracal: tools["admin"]: unknown option `requiredScope`; did you mean `requiredScopes`?',
    )
  })

  test('bad tools and bad requirement values are TypeErrors', () => {
    expect(() => setup({ tools: [] as never })).toThrow(/`tools` must be an object/)
    expect(() => setup({ tools: { a: null } as never })).toThrow(/tools\["a"\] must be an object/)
    expect(() => setup({ tools: { a: { requiredScopes: 'two words' } } })).toThrow(/requiredScopes/)
    expect(() => setup({ tools: { a: { maxHopCount: -1 } } })).toThrow(/maxHopCount/)
  })

  test('maxBodyBytes must be a positive integer', () => {
    for (const value of [0, -1, 1.5, '1024', Number.POSITIVE_INFINITY]) {
      expect(() => setup({ maxBodyBytes: value as never }), String(value)).toThrow(
        /`maxBodyBytes` must be a positive integer/,
      )
    }
  })

  test('the withCaracal options are still validated', () => {
    expect(() => setup({ issuer: 'http://sts.example' })).toThrow(/issuer/)
  })

  test('the caller options object is left as it was', () => {
    const options = { ...base, tools: { a: { requiredScopes: ['x'] } }, maxBodyBytes: 10 }
    const copy = { ...options }
    withMcpCaracal(() => new Response(), options)
    expect(options).toEqual(copy)
  })
})

describe('per-tool requirements', () => {
  test('the route is checked first; a tool call is checked after, and the handler reads the whole body', async () => {
    const { handler, reached } = setup({
      requiredScopes: ['mcp:tools'],
      tools: { admin: { requiredScopes: ['mcp:admin'] } },
    })
    const none = await handler(post(await dev.mint({ scope: '' }), call('echo')))
    expect(none.status).toBe(403)
    expect(none.headers.get('www-authenticate')).toContain('scope="mcp:tools"')

    const ok = await handler(post(await dev.mint({ scope: 'mcp:tools' }), call('echo')))
    expect(ok.status).toBe(200)
    expect(reached).toEqual([JSON.stringify(call('echo'))])

    const refused = await handler(post(await dev.mint({ scope: 'mcp:tools' }), call('admin')))
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="Missing scope: mcp:admin", scope="mcp:tools mcp:admin"',
    )
    expect(await refused.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'Missing scope: mcp:admin',
      error_hint: 'Request a mandate that includes every required scope for this route.',
    })
    expect(reached).toHaveLength(1)
  })

  test('the challenge names every scope of every called tool, and only the missing ones in the description', async () => {
    const { handler } = setup({
      requiredScopes: ['mcp:tools'],
      tools: { a: { requiredScopes: ['s:a'] }, b: { requiredScopes: ['s:b', 's:a'] } },
    })
    const refused = await handler(post(await dev.mint({ scope: 'mcp:tools s:a' }), [call('a', 1), call('b', 2)]))
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="Missing scope: s:b", scope="mcp:tools s:a s:b"',
    )
  })

  test('requirements other than scopes: the first failure is the refusal', async () => {
    const { handler, errors } = setup({ tools: { agent_only: { requireAgent: true }, deep: { maxHopCount: 0 } } })
    const user = await dev.mint({ scope: '' })
    const agent = await handler(post(user, call('agent_only')))
    expect(agent.status).toBe(403)
    expect(await agent.json()).toMatchObject({ error: 'session_required' })
    expect(errors.at(-1)?.code).toBe('session_required')
    const deep = await handler(post(await dev.mint({ hop_count: 1 }), call('deep')))
    expect(await deep.json()).toMatchObject({ error: 'hop_count_exceeded' })
    // A tool that names no hop limit keeps the route's (10), not its own.
    expect(
      (await handler(post(await dev.mint({ hop_count: 5, agent_session_id: 'as-1' }), call('agent_only')))).status,
    ).toBe(200)
  })

  test('a tool that names requiredUse holds the mandate to it; one that does not accepts what the route accepted', async () => {
    const { handler } = setup({ requiredUse: 'gateway', tools: { res: { requiredUse: 'resource' }, any: {} } })
    const gateway = await dev.mint({ use: 'gateway' })
    expect((await handler(post(gateway, call('any')))).status).toBe(200)
    const refused = await handler(post(gateway, call('res')))
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' })
  })

  test('an unverified path (exclude) is served without inspection, and a tool-less config reads nothing', async () => {
    const { handler, reached } = setup({ exclude: ['/public'], tools: { admin: { requiredScopes: ['mcp:admin'] } } })
    expect((await handler(post('not-a-token', call('admin'), '/public'))).status).toBe(200)
    expect(reached).toEqual([JSON.stringify(call('admin'))])

    const plain = setup({})
    const request = post(await dev.mint(), 'x'.repeat(2 * 1024 * 1024))
    expect((await plain.handler(request)).status).toBe(200)
    expect(plain.reached[0]).toHaveLength(2 * 1024 * 1024)
  })

  test('not JSON-RPC goes to the handler unchanged; over the bound is 413 with no handler run', async () => {
    const { handler, reached } = setup({ tools: { admin: { requiredScopes: ['mcp:admin'] } }, maxBodyBytes: 64 })
    const token = await dev.mint()
    expect((await handler(post(token, 'plain text'))).status).toBe(200)
    expect(reached).toEqual(['plain text'])
    const large = await handler(post(token, call('a'.repeat(100))))
    expect(large.status).toBe(413)
    expect(large.headers.get('cache-control')).toBe('no-store')
    expect(await large.json()).toEqual({
      error: 'request_too_large',
      error_description: 'Request body exceeds 64 bytes',
    })
    expect(reached).toHaveLength(1)
    const encoded = new Request('https://mcp.example/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-encoding': 'gzip' },
      body: 'compressed bytes',
    })
    const refused = await handler(encoded)
    expect(refused.status).toBe(415)
    expect(await refused.json()).toMatchObject({ error: 'unsupported_content_encoding' })
    expect(reached).toHaveLength(1)
  })

  test('the handler gets the very same Request, its mandate attached, and the extra arguments', async () => {
    let seen: { request: Request; rest: unknown[] } | undefined
    const handler = withMcpCaracal(
      (request: Request, ...rest: unknown[]) => {
        seen = { request, rest }
        return new Response(getMandate(request).sub)
      },
      { ...base, tools: { admin: { requiredScopes: ['mcp:admin'] } } },
    )
    const request = post(await dev.mint({ sub: 'agent-7', scope: 'mcp:admin' }), call('admin'))
    const env = { a: 1 }
    const response = await handler(request, env, 'ctx')
    expect(await response.text()).toBe('agent-7')
    expect(seen?.request).toBe(request)
    expect(seen?.rest).toEqual([env, 'ctx'])
    expect(request.bodyUsed).toBe(false)
  })
})
