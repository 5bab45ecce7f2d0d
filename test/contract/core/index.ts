/**
 * The core contract: every row of caracal-mandates.md section 3, written once and run in every
 * runtime (Node, workerd, Bun, Deno). Requests go through the public API only: a Request in, a
 * Response out. The JWKS is served in process through the `fetch` option, so the suite needs no
 * sockets (workerd cannot listen); test/unit covers the real-HTTP JWKS path on Node.
 */
import { MemoryRevocationStore, findMandate, getMandate, withCaracal, type CaracalOptions } from 'caracal-fetch'
import { createDevIssuer, type DevIssuer } from 'caracal-fetch/testing'
import { equal, match, ok, rejects, type ContractCase } from '../assert.js'

const AUDIENCE = 'resource://billing-api'
const ORIGIN = 'https://billing.example'

/** Options for a handler that trusts `dev`'s zone, with a fresh memory store. */
function devOptions(dev: DevIssuer): CaracalOptions {
  return {
    audience: AUDIENCE,
    issuer: dev.issuer,
    zoneId: dev.zoneId,
    fetch: dev.fetch,
    revocations: new MemoryRevocationStore(),
  }
}

interface Fixture {
  dev: DevIssuer
  store: MemoryRevocationStore
  calls: number
  call(token: string | undefined, init?: { path?: string; method?: string; authorization?: string }): Promise<Response>
}

async function fixture(overrides: Partial<CaracalOptions> = {}): Promise<Fixture> {
  const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
  const store = new MemoryRevocationStore()
  const f: Fixture = {
    dev,
    store,
    calls: 0,
    call: async (token, init = {}) => {
      const headers = new Headers()
      if (init.authorization !== undefined) headers.set('authorization', init.authorization)
      else if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
      return handler(new Request(`${ORIGIN}${init.path ?? '/invoices'}`, { method: init.method ?? 'GET', headers }))
    },
  }
  const handler = withCaracal(
    (request) => {
      f.calls++
      // Excluded paths carry no mandate; every other path must.
      if (new URL(request.url).pathname.startsWith('/healthz'))
        return Response.json({ excluded: !findMandate(request) })
      const mandate = getMandate(request)
      return Response.json({ sub: mandate.sub, scopes: mandate.scopes, agent: mandate.agentSessionId ?? null })
    },
    {
      audience: AUDIENCE,
      issuer: dev.issuer,
      zoneId: dev.zoneId,
      fetch: dev.fetch,
      revocations: store,
      ...overrides,
    },
  )
  return f
}

async function expectRefusal(res: Response, status: number, code: string, f: Fixture): Promise<void> {
  equal(res.status, status, 'status')
  equal(f.calls, 0, 'handler calls')
  equal(res.headers.get('content-type'), 'application/json', 'content-type')
  const body = (await res.json()) as Record<string, unknown>
  equal(body['error'], code, 'error code')
  ok(typeof body['error_description'] === 'string' && body['error_description'].length > 0, 'error_description')
  ok(typeof body['error_hint'] === 'string', 'error_hint')
  if (status === 401 || status === 403) {
    const challenge = res.headers.get('www-authenticate')
    if (code === 'missing_token') equal(challenge, 'Bearer', 'WWW-Authenticate without a token')
    else match(challenge, new RegExp(`^Bearer error="${code}", error_description="[^"]+"`), 'WWW-Authenticate')
  }
  if (status === 503) match(res.headers.get('retry-after'), /^\d+$/, 'Retry-After')
}

function b64url(value: unknown): string {
  const bytes = new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value))
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function refusal(
  name: string,
  status: number,
  code: string,
  act: (f: Fixture) => Promise<Response>,
  options?: Partial<CaracalOptions>,
): ContractCase {
  return {
    name,
    async run() {
      const f = await fixture(options)
      await expectRefusal(await act(f), status, code, f)
    },
  }
}

const nowS = (): number => Math.floor(Date.now() / 1000)

export function coreContract(): ContractCase[] {
  return [
    {
      name: 'a valid mandate reaches the handler with its claims in camelCase',
      async run() {
        const f = await fixture()
        const res = await f.call(
          await f.dev.mint({ sub: 'user-42', scope: 'billing:read billing:list', agent_session_id: 'as-1' }),
        )
        equal(res.status, 200, 'status')
        equal(f.calls, 1, 'handler calls')
        const body = (await res.json()) as { sub: string; scopes: string[]; agent: string }
        equal(body.sub, 'user-42', 'sub')
        equal(body.scopes.join(','), 'billing:read,billing:list', 'scopes')
        equal(body.agent, 'as-1', 'agentSessionId')
      },
    },
    {
      name: 'the handler receives the same Request object and every extra argument',
      async run() {
        const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
        const env = { some: 'binding' }
        const ctx = { waitUntil() {} }
        let seen: unknown[] = []
        const authorization = `Bearer ${await dev.mint()}`
        const h = withCaracal((...args: unknown[]) => {
          seen = args
          return new Response('ok')
        }, devOptions(dev))
        // The first call verifies the signature (asynchronous path), the next ones hit the cache
        // (synchronous path); both hand over exactly the arguments given, no more.
        for (const pass of ['first', 'cached']) {
          const request = new Request(`${ORIGIN}/x`, { headers: { authorization } })
          equal((await h(request, env, ctx)).status, 200, `${pass}: status`)
          ok(
            seen.length === 3 && seen[0] === request && seen[1] === env && seen[2] === ctx,
            `${pass}: request, env, ctx`,
          )
          const alone = new Request(`${ORIGIN}/x`, { headers: { authorization } })
          equal((await h(alone)).status, 200, `${pass}: status with the request alone`)
          ok(seen.length === 1 && seen[0] === alone, `${pass}: the request alone`)
        }
      },
    },
    refusal('no Authorization header is missing_token', 401, 'missing_token', (f) => f.call(undefined)),
    refusal('another scheme is missing_token', 401, 'missing_token', (f) =>
      f.call(undefined, { authorization: 'Basic dXNlcjpwYXNz' }),
    ),
    refusal('Bearer with nothing after it is missing_token', 401, 'missing_token', (f) =>
      f.call(undefined, { authorization: 'Bearer' }),
    ),
    refusal('Bearer without whitespace is missing_token', 401, 'missing_token', async (f) =>
      f.call(undefined, { authorization: `Bearer${await f.dev.mint()}` }),
    ),
    {
      name: 'the scheme is case-insensitive and surrounding whitespace is trimmed',
      async run() {
        const f = await fixture()
        const res = await f.call(undefined, { authorization: `bEaReR \t ${await f.dev.mint()}` })
        equal(res.status, 200, 'status')
      },
    },
    refusal('two comma-joined Authorization headers are invalid_token', 401, 'invalid_token', async (f) =>
      f.call(undefined, { authorization: `Bearer ${await f.dev.mint()}, Bearer ${await f.dev.mint()}` }),
    ),
    refusal('"Bearer a b" is invalid_token', 401, 'invalid_token', (f) =>
      f.call(undefined, { authorization: 'Bearer a b' }),
    ),
    refusal('a bad signature is invalid_token', 401, 'invalid_token', async (f) => {
      const [h, p, s] = (await f.dev.mint()).split('.')
      const flipped = s!.slice(0, 10) + (s![10] === 'A' ? 'B' : 'A') + s!.slice(11)
      return f.call(`${h}.${p}.${flipped}`)
    }),
    refusal('a token signed by another key with a known kid is invalid_token', 401, 'invalid_token', async (f) => {
      const other = await createDevIssuer({ issuer: f.dev.issuer, zoneId: f.dev.zoneId, audience: AUDIENCE })
      const forged = await other.mint({}, { kid: f.dev.kid })
      return f.call(forged)
    }),
    refusal(
      'a forged token claiming another zone is invalid_token: claims are judged only after the signature',
      401,
      'invalid_token',
      async (f) => {
        const other = await createDevIssuer({ issuer: f.dev.issuer, zoneId: f.dev.zoneId, audience: AUDIENCE })
        return f.call(await other.mint({ zone_id: 'zone-b', hop_count: 99 }, { kid: f.dev.kid }))
      },
    ),
    refusal('alg none is invalid_token', 401, 'invalid_token', async (f) => {
      const [, p] = (await f.dev.mint()).split('.')
      return f.call(`${b64url({ alg: 'none', kid: f.dev.kid, typ: 'JWT' })}.${p}.`)
    }),
    refusal('alg HS256 is invalid_token', 401, 'invalid_token', async (f) => {
      const [, p, s] = (await f.dev.mint()).split('.')
      return f.call(`${b64url({ alg: 'HS256', kid: f.dev.kid, typ: 'JWT' })}.${p}.${s}`)
    }),
    {
      name: 'every header is checked: a bad header after a good one with the same kid is still refused',
      async run() {
        const f = await fixture()
        equal((await f.call(await f.dev.mint())).status, 200, 'a good mandate first')
        const [h, p, s] = (await f.dev.mint()).split('.')
        for (const header of [
          { alg: 'HS256', kid: f.dev.kid, typ: 'JWT' },
          { alg: 'ES256', kid: f.dev.kid, typ: 'JWT', crit: ['exp'] },
          { alg: 'ES256', typ: 'JWT' },
        ]) {
          const res = await f.call(`${b64url(header)}.${p}.${s}`)
          equal(res.status, 401, JSON.stringify(header))
        }
        equal((await f.call(`${h}.${p}.${s}`)).status, 200, 'the good header still passes')
        equal(f.calls, 2, 'handler calls')
      },
    },
    refusal('ES384 in the header is invalid_token', 401, 'invalid_token', async (f) => {
      const [, p, s] = (await f.dev.mint()).split('.')
      return f.call(`${b64url({ alg: 'ES384', kid: f.dev.kid, typ: 'JWT' })}.${p}.${s}`)
    }),
    refusal('an unknown kid is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({}, { kid: 'no-such-kid' })),
    ),
    refusal('a wrong issuer is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ iss: 'https://evil.example' })),
    ),
    refusal('a wrong audience is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ aud: ['resource://other'] })),
    ),
    {
      name: 'aud as a plain string is accepted',
      async run() {
        const f = await fixture()
        equal((await f.call(await f.dev.mint({ aud: AUDIENCE }))).status, 200, 'status')
      },
    },
    refusal('an expired mandate is invalid_token (no tolerance on exp)', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ exp: nowS() - 1, iat: nowS() - 100 })),
    ),
    refusal('exp equal to now is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ exp: nowS() })),
    ),
    refusal('nbf beyond the 60 s tolerance is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ nbf: nowS() + 120 })),
    ),
    {
      name: 'nbf within the 60 s tolerance is accepted',
      async run() {
        const f = await fixture()
        equal((await f.call(await f.dev.mint({ nbf: nowS() + 30 }))).status, 200, 'status')
      },
    },
    refusal('iat more than 60 s in the future is invalid_token', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ iat: nowS() + 120, exp: nowS() + 600 })),
    ),
    ...(['jti', 'sub', 'sub_type', 'client_id', 'sid', 'root_sid', 'use', 'exp', 'iat', 'iss', 'aud'] as const).map(
      (claim) =>
        refusal(`missing ${claim} is invalid_token`, 401, 'invalid_token', async (f) =>
          f.call(await f.dev.mint({ [claim]: undefined })),
        ),
    ),
    ...(
      [
        ['sub', 42],
        ['sub', ''],
        ['sub_type', 'robot'],
        ['client_id', ['a']],
        ['exp', 'soon'],
        ['exp', 1.5e10 + 0.5],
        ['iat', -1],
        ['scope', ['billing:read']],
        ['target', 'resource://x'],
        ['target', ['']],
        ['agent_session_id', 7],
        ['delegation_edge_id', {}],
        ['delegation_path', [1]],
        ['delegation_chain', [{}]],
        ['delegation_chain', ['app']],
        ['hop_count', -1],
        ['hop_count', 1.5],
        ['delegation_graph_epoch', '3'],
        ['use', 'admin'],
        ['nbf', 'later'],
        ['nbf', 1.5],
        ['iss', 42],
        ['aud', 42],
        ['aud', [AUDIENCE, 7]],
        ['jti', 5],
        ['sid', 7],
        ['root_sid', ''],
        ['source_session_id', 3],
        ['target_session_id', ['s']],
        ['delegation_path', 'edge-1'],
        ['delegation_chain', { application_id: 'app' }],
        ['delegation_chain', [{ application_id: '' }]],
      ] as const
    ).map(([claim, value]) =>
      refusal(`${claim} = ${JSON.stringify(value)} is invalid_token`, 401, 'invalid_token', async (f) =>
        f.call(await f.dev.mint({ [claim]: value })),
      ),
    ),
    {
      name: 'loosely typed optional claims the contract allows are accepted (nbf any integer, empty delegation_path items, null optionals)',
      async run() {
        const f = await fixture()
        for (const claims of [
          { nbf: -5 },
          { delegation_path: [''] },
          { scope: null, target: null, agent_session_id: null, hop_count: null },
        ]) {
          equal((await f.call(await f.dev.mint(claims))).status, 200, JSON.stringify(claims))
        }
      },
    },
    refusal('a missing zone_id is invalid_zone', 401, 'invalid_zone', async (f) =>
      f.call(await f.dev.mint({ zone_id: undefined })),
    ),
    refusal('another zone_id is invalid_zone', 401, 'invalid_zone', async (f) =>
      f.call(await f.dev.mint({ zone_id: 'zone-b' })),
    ),
    refusal('use "session" is invalid_token at a resource server', 401, 'invalid_token', async (f) =>
      f.call(await f.dev.mint({ use: 'session' })),
    ),
    {
      name: 'requiredUse "gateway" accepts gateway mandates and refuses resource ones',
      async run() {
        const f = await fixture({ requiredUse: 'gateway' })
        equal((await f.call(await f.dev.mint({ use: 'gateway' }))).status, 200, 'gateway mandate')
        await expectRefusal(await f.call(await f.dev.mint()), 401, 'invalid_token', { ...f, calls: f.calls - 1 })
      },
    },
    refusal(
      'a required target that is not granted is invalid_token',
      401,
      'invalid_token',
      async (f) => f.call(await f.dev.mint({ target: ['resource://billing-api/eu'] })),
      { requiredTargets: ['resource://billing-api/us'] },
    ),
    {
      name: 'all required targets granted pass',
      async run() {
        const f = await fixture({ requiredTargets: ['t1', 't2'] })
        equal((await f.call(await f.dev.mint({ target: ['t2', 't1', 't3'] }))).status, 200, 'status')
      },
    },
    ...(['sid', 'root_sid', 'agent_session_id', 'delegation_edge_id'] as const).map((anchor) => ({
      name: `a revoked ${anchor} is session_revoked`,
      async run() {
        const f = await fixture()
        const token = await f.dev.mint({
          agent_session_id: 'as-1',
          delegation_edge_id: 'edge-1',
          sid: 'sid-1',
          root_sid: 'root-1',
        })
        equal((await f.call(token)).status, 200, 'before revocation')
        f.calls = 0
        f.store.markRevoked(
          { sid: 'sid-1', root_sid: 'root-1', agent_session_id: 'as-1', delegation_edge_id: 'edge-1' }[anchor],
        )
        await expectRefusal(await f.call(token), 401, 'session_revoked', f)
      },
    })),
    {
      name: 'a raised zone delegation epoch makes older mandates delegation_stale',
      async run() {
        const f = await fixture()
        const token = await f.dev.mint({ delegation_graph_epoch: 4 })
        f.store.markDelegationEpoch('zone-a', 4)
        equal((await f.call(token)).status, 200, 'same epoch passes')
        f.calls = 0
        f.store.markDelegationEpoch('zone-a', 5)
        await expectRefusal(await f.call(token), 401, 'delegation_stale', f)
        equal((await f.call(await f.dev.mint())).status, 200, 'a mandate without the claim is not epoch-checked')
      },
    },
    {
      name: 'a missing required scope is insufficient_scope with the scope in WWW-Authenticate',
      async run() {
        const f = await fixture({ requiredScopes: ['billing:read', 'billing:write'] })
        const res = await f.call(await f.dev.mint({ scope: 'billing:read billing:readonly' }))
        match(res.headers.get('www-authenticate'), /scope="billing:read billing:write"/, 'scope parameter')
        const body = (await res.clone().json()) as { error_description: string }
        equal(body.error_description, 'Missing scope: billing:write', 'the description names the missing scope')
        await expectRefusal(res, 403, 'insufficient_scope', f)
      },
    },
    refusal(
      'scopes match exact tokens only ("billing:readonly" is not "billing:read")',
      403,
      'insufficient_scope',
      async (f) => f.call(await f.dev.mint({ scope: 'billing:readonly' })),
      { requiredScopes: ['billing:read'] },
    ),
    refusal(
      'no scope claim grants no scope',
      403,
      'insufficient_scope',
      async (f) => f.call(await f.dev.mint({ scope: undefined })),
      {
        requiredScopes: ['billing:read'],
      },
    ),
    refusal(
      'requireAgent without agent_session_id is session_required',
      403,
      'session_required',
      async (f) => f.call(await f.dev.mint()),
      {
        requireAgent: true,
      },
    ),
    refusal(
      'requireDelegation without delegation_edge_id is delegation_required',
      403,
      'delegation_required',
      async (f) => f.call(await f.dev.mint()),
      { requireDelegation: true },
    ),
    refusal(
      'an application missing from delegation_chain is chain_mismatch',
      403,
      'chain_mismatch',
      async (f) => f.call(await f.dev.mint({ delegation_chain: [{ application_id: 'app-a' }], client_id: 'app-b' })),
      { requireChainContains: 'app-b' },
    ),
    {
      name: 'requireChainContains passes when the application is in the chain',
      async run() {
        const f = await fixture({ requireChainContains: ['app-a', 'app-b'] })
        const token = await f.dev.mint({
          delegation_chain: [{ application_id: 'app-a' }, { application_id: 'app-b', agent_session_id: 'as' }],
        })
        equal((await f.call(token)).status, 200, 'status')
      },
    },
    refusal('hop_count above the default maxHopCount 10 is hop_count_exceeded', 403, 'hop_count_exceeded', async (f) =>
      f.call(await f.dev.mint({ hop_count: 11 })),
    ),
    refusal(
      'hop_count above a configured maxHopCount is hop_count_exceeded',
      403,
      'hop_count_exceeded',
      async (f) => f.call(await f.dev.mint({ hop_count: 3 })),
      { maxHopCount: 2 },
    ),
    {
      name: 'every method is verified, HEAD included (no body, same headers)',
      async run() {
        const f = await fixture()
        for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
          const res = await f.call(undefined, { method })
          equal(res.status, 401, `${method} status`)
          equal(res.headers.get('www-authenticate'), 'Bearer', `${method} challenge`)
        }
        const head = await f.call(await f.dev.mint({ iss: 'https://other.example' }), { method: 'HEAD' })
        equal(head.status, 401, 'HEAD with a bad token')
        equal(await head.text(), '', 'HEAD body')
        equal(f.calls, 0, 'handler calls')
      },
    },
    {
      name: 'routes: the longest matching prefix wins and replaces only the options it names',
      async run() {
        const f = await fixture({
          requiredScopes: ['billing:read'],
          routes: {
            '/payouts': { requiredScopes: ['billing:payout'], requireDelegation: true },
            '/payouts/preview': { requiredScopes: ['billing:read'] },
          },
        })
        const read = await f.dev.mint({ scope: 'billing:read' })
        const payout = await f.dev.mint({ scope: 'billing:payout', delegation_edge_id: 'e1' })
        equal((await f.call(read, { path: '/invoices' })).status, 200, 'default route')
        equal((await f.call(read, { path: '/payouts' })).status, 403, '/payouts needs billing:payout')
        equal((await f.call(read, { path: '/payouts/42' })).status, 403, '/payouts/42 too')
        equal((await f.call(read, { path: '/payoutsX' })).status, 200, '/payoutsX is not under /payouts')
        equal((await f.call(payout, { path: '/payouts/42' })).status, 200, 'payout mandate')
        equal(
          (await f.call(await f.dev.mint({ scope: 'billing:payout' }), { path: '/payouts' })).status,
          403,
          'delegation required',
        )
        equal((await f.call(read, { path: '/payouts/preview/1' })).status, 200, 'longest prefix wins')
        equal((await f.call(read, { path: '/%70ayouts' })).status, 403, 'percent-encoded path gets the same route')
      },
    },
    {
      name: 'routes: a path that routers may decode differently must meet every route it could reach',
      async run() {
        const f = await fixture({
          requiredScopes: ['billing:read'],
          routes: { '/payouts': { requiredScopes: ['billing:payout'] }, '/a/b': { requiredScopes: ['billing:ab'] } },
        })
        const read = await f.dev.mint({ scope: 'billing:read' })
        // One escape that is not UTF-8 must not stop the others from being decoded (Hono, for one,
        // decodes escape by escape and routes these to /payouts).
        for (const path of ['/%70ayouts/x%ZZ', '/%70ayouts/%C0', '/%70ayouts/%C0%80/1']) {
          await expectRefusal(await f.call(read, { path }), 403, 'insufficient_scope', f)
        }
        // A bad sequence keeps its escapes: p%C3ayouts is not /payouts for us or for a router.
        equal((await f.call(read, { path: '/%70%C3ayouts/1' })).status, 200, 'p%C3ayouts')
        f.calls = 0
        // %2F: decodeURI keeps it, decodeURIComponent makes it a slash; both readings count.
        await expectRefusal(await f.call(read, { path: '/a%2Fb' }), 403, 'insufficient_scope', f)
        const both = await f.dev.mint({ scope: 'billing:read billing:ab' })
        equal((await f.call(both, { path: '/a%2Fb' })).status, 200, 'a mandate meeting both readings')
        // As sent, /%70ayouts/x%ZZ is under no route (the defaults); decoded, under /payouts.
        const payout = await f.dev.mint({ scope: 'billing:payout' })
        f.calls = 0
        await expectRefusal(await f.call(payout, { path: '/%70ayouts/x%ZZ' }), 403, 'insufficient_scope', f)
        const payoutAndRead = await f.dev.mint({ scope: 'billing:read billing:payout' })
        equal((await f.call(payoutAndRead, { path: '/%70ayouts/x%ZZ' })).status, 200, 'a mandate meeting both')
        equal((await f.call(payout, { path: '/payouts/x' })).status, 200, 'the plain spelling needs /payouts only')
      },
    },
    {
      name: 'exclude: excluded prefixes skip verification on segment boundaries only',
      async run() {
        const f = await fixture({ exclude: ['/healthz'] })
        let excludedCalls = 0
        const res = await f.call(undefined, { path: '/healthz' })
        excludedCalls++
        equal(res.status, 200, '/healthz')
        equal((await f.call(undefined, { path: '/healthz/deep?x=1' })).status, 200, '/healthz/deep')
        excludedCalls++
        equal((await f.call(undefined, { path: '/healthzX' })).status, 401, '/healthzX is protected')
        equal((await f.call(undefined, { path: '/%68ealthz' })).status, 401, 'an encoded spelling is verified')
        equal((await f.call(undefined, { path: '/%68ealthz/%ZZ' })).status, 401, 'and so is one with a bad escape')
        equal((await f.call(undefined, { path: '/healthz/%ZZ%61' })).status, 200, '/healthz/ with a bad escape')
        excludedCalls++
        equal(f.calls, excludedCalls, 'handler ran only for excluded paths')
      },
    },
    {
      name: 'a verified request whose handler returns no Response gets a 500, not the runtime default',
      async run() {
        const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
        const reasons: string[] = []
        const h = withCaracal((() => undefined) as unknown as () => Response, {
          ...devOptions(dev),
          onError: (e) => reasons.push(e.reason),
        })
        const res = await h(new Request(ORIGIN, { headers: { authorization: `Bearer ${await dev.mint()}` } }))
        equal(res.status, 500, 'status')
        const body = (await res.json()) as { error: string; error_description: string }
        equal(body.error, 'server_misconfigured', 'code')
        equal(body.error_description, 'Mandate verification is not configured', 'generic description')
        match(reasons[0] ?? null, /returned undefined instead of a Response/, 'reason')
      },
    },
    {
      name: 'getMandate throws a clear error outside a verified request',
      async run() {
        await rejects(async () => getMandate(new Request(`${ORIGIN}/`)), /no verified Caracal mandate/, 'getMandate')
      },
    },
    {
      name: 'getMandate: a frozen request still carries its mandate; lookalike properties do not forge one',
      async run() {
        const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
        const seen: (string | undefined)[] = []
        const h = withCaracal((req) => (seen.push(findMandate(req)?.sub), new Response('ok')), devOptions(dev))
        const token = await dev.mint({ sub: 'frozen-sub' })
        const frozen = Object.freeze(new Request(`${ORIGIN}/`, { headers: { authorization: `Bearer ${token}` } }))
        equal((await h(frozen)).status, 200, 'frozen request status')
        equal(seen[0], 'frozen-sub', 'mandate of a frozen request')
        equal(getMandate(frozen).sub, 'frozen-sub', 'getMandate after the handler')

        const plain = new Request(`${ORIGIN}/`) as Request & Record<PropertyKey, unknown>
        plain[Symbol.for('caracal-fetch.mandate')] = { sub: 'forged' }
        plain['caracal-fetch.mandate'] = { sub: 'forged' }
        plain['mandate'] = { sub: 'forged' }
        equal(findMandate(plain), undefined, 'lookalike properties')
        const verified = new Request(`${ORIGIN}/`, { headers: { authorization: `Bearer ${token}` } })
        equal((await h(verified)).status, 200, 'verified status')
        equal(Object.keys(verified).length, 0, 'no enumerable string keys added to the request')
      },
    },
    {
      name: 'optional id claims that are null or empty read as absent, as in Caracal’s verifier',
      async run() {
        const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
        const options = devOptions(dev)
        let mandate: ReturnType<typeof getMandate> | undefined
        const h = withCaracal((req) => ((mandate = getMandate(req)), new Response('ok')), options)
        const agent = withCaracal(() => new Response('ok'), { ...options, requireAgent: true })
        const token = await dev.mint({
          agent_session_id: '',
          delegation_edge_id: null,
          source_session_id: '',
          delegation_chain: [{ application_id: 'a', agent_session_id: '' }],
        })
        const request = () => new Request(ORIGIN, { headers: { authorization: `Bearer ${token}` } })
        equal((await h(request())).status, 200, 'status')
        equal(mandate!.agentSessionId, undefined, 'agentSessionId')
        equal(mandate!.delegationEdgeId, undefined, 'delegationEdgeId')
        equal(mandate!.sourceSessionId, undefined, 'sourceSessionId')
        equal(mandate!.delegationChain[0]?.agentSessionId, undefined, 'chain link agentSessionId')
        const refused = await agent(request())
        equal(refused.status, 403, 'requireAgent status')
        equal(((await refused.json()) as { error: string }).error, 'session_required', 'requireAgent error')
      },
    },
    {
      name: 'the mandate is frozen and carries the raw claims',
      async run() {
        const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
        let mandate: ReturnType<typeof getMandate> | undefined
        const h = withCaracal((req) => {
          mandate = getMandate(req)
          return new Response('ok')
        }, devOptions(dev))
        const token = await dev.mint({
          sid: 's',
          root_sid: 'r',
          client_id: 'c',
          delegation_edge_id: 'e',
          source_session_id: 'src',
          target_session_id: 'dst',
          delegation_path: ['e'],
          delegation_chain: [{ application_id: 'a', delegation_edge_id: 'e' }],
          hop_count: 1,
          delegation_graph_epoch: 2,
          target: ['t'],
          custom: 'x',
        })
        equal((await h(new Request(ORIGIN, { headers: { authorization: `Bearer ${token}` } }))).status, 200, 'status')
        const m = mandate!
        equal(m.authorityRecordId, 's', 'authorityRecordId')
        equal(m.rootAuthorityRecordId, 'r', 'rootAuthorityRecordId')
        equal(m.clientId, 'c', 'clientId')
        equal(m.zoneId, 'zone-a', 'zoneId')
        equal(m.subType, 'user', 'subType')
        equal(m.delegationEdgeId, 'e', 'delegationEdgeId')
        equal(m.sourceSessionId, 'src', 'sourceSessionId')
        equal(m.targetSessionId, 'dst', 'targetSessionId')
        equal(m.delegationPath[0], 'e', 'delegationPath')
        equal(m.delegationChain[0]?.applicationId, 'a', 'delegationChain')
        equal(m.hopCount, 1, 'hopCount')
        equal(m.delegationGraphEpoch, 2, 'delegationGraphEpoch')
        equal(m.targets[0], 't', 'targets')
        equal(m.claims['custom'], 'x', 'raw claims')
        equal(typeof m.issuedAt, 'number', 'issuedAt')
        ok(m.expiresAt > m.issuedAt, 'expiresAt')
        ok(Object.isFrozen(m) && Object.isFrozen(m.claims) && Object.isFrozen(m.scopes), 'frozen')
        for (const list of [m.audience, m.targets, m.delegationPath, m.delegationChain]) {
          ok(Object.isFrozen(list), `frozen ${JSON.stringify(list)}`)
        }
        for (const name of ['aud', 'target', 'delegation_path']) {
          ok(Object.isFrozen(m.claims[name]), `raw claim ${name} frozen`)
        }
        const rawChain = m.claims['delegation_chain'] as object[]
        ok(Object.isFrozen(rawChain) && Object.isFrozen(rawChain[0]), 'nested raw claims frozen')
        ok(Object.getPrototypeOf(m.claims) === Object.prototype, 'claims keep their prototype')
      },
    },
    {
      name: 'a store that throws gives 503 temporarily_unavailable and the handler does not run',
      async run() {
        const f = await fixture({
          revocations: {
            isRevoked() {
              throw new Error('store down')
            },
          },
        })
        await expectRefusal(await f.call(await f.dev.mint()), 503, 'temporarily_unavailable', f)
      },
    },
    {
      name: 'a store that rejects gives 503 and one that never answers times out to 503',
      async run() {
        const f = await fixture({ revocations: { isRevoked: async () => Promise.reject(new Error('down')) } })
        await expectRefusal(await f.call(await f.dev.mint()), 503, 'temporarily_unavailable', f)
        const g = await fixture({
          revocations: { isRevoked: () => new Promise<boolean>(() => {}) },
          revocationTimeoutMs: 50,
        })
        await expectRefusal(await g.call(await g.dev.mint()), 503, 'temporarily_unavailable', g)
      },
    },
    {
      name: "a store with Caracal's async interface (isRevoked, currentDelegationEpoch) plugs in",
      async run() {
        const revoked = new Set<string>(['sid-bad'])
        const store = {
          async isRevoked(anchor: string) {
            return revoked.has(anchor)
          },
          async markRevoked(anchor: string) {
            revoked.add(anchor)
          },
          async currentDelegationEpoch() {
            return 9
          },
        }
        const f = await fixture({ revocations: store })
        equal(
          (await f.call(await f.dev.mint({ sid: 'sid-ok', delegation_graph_epoch: 9 }))).status,
          200,
          'clean mandate',
        )
        f.calls = 0
        await expectRefusal(await f.call(await f.dev.mint({ sid: 'sid-bad' })), 401, 'session_revoked', f)
        await expectRefusal(await f.call(await f.dev.mint({ delegation_graph_epoch: 8 })), 401, 'delegation_stale', f)
      },
    },
    {
      name: 'JWKS unreachable with nothing cached gives 503 with Retry-After, not 401',
      async run() {
        const f = await fixture({ fetch: async () => new Response('oops', { status: 502 }) })
        await expectRefusal(await f.call(await f.dev.mint()), 503, 'temporarily_unavailable', f)
        const g = await fixture({ fetch: async () => Promise.reject(new TypeError('network down')) })
        await expectRefusal(await g.call(await g.dev.mint()), 503, 'temporarily_unavailable', g)
        const h = await fixture({ fetch: async () => new Response('{"keys": "nope"}') })
        await expectRefusal(await h.call(await h.dev.mint()), 503, 'temporarily_unavailable', h)
      },
    },
    {
      name: 'a static jwks option verifies with no fetch at all',
      async run() {
        const dev = await createDevIssuer({ issuer: 'https://sts.example', zoneId: 'zone-a', audience: AUDIENCE })
        const f = await fixture({
          jwks: dev.jwks,
          fetch: async () => {
            throw new Error('must not fetch')
          },
        })
        equal((await f.call(await dev.mint())).status, 200, 'status')
      },
    },
    {
      name: 'a rotated key is picked up by one refetch; a flood of random kids refetches at most once per cooldown',
      async run() {
        const f = await fixture()
        equal((await f.call(await f.dev.mint())).status, 200, 'first key')
        const before = f.dev.jwksRequests
        await f.dev.rotate()
        equal((await f.call(await f.dev.mint())).status, 200, 'rotated key accepted')
        equal(f.dev.jwksRequests, before + 1, 'one refetch for the new kid')
        for (let i = 0; i < 50; i++) {
          const res = await f.call(await f.dev.mint({}, { kid: `random-${i}` }))
          equal(res.status, 401, 'random kid')
        }
        equal(f.dev.jwksRequests, before + 1, 'no refetch within the cooldown')
      },
    },
    {
      name: 'bad input never crashes: junk, huge, non-UTF-8 and deeply nested tokens are 401',
      async run() {
        const f = await fixture()
        const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`
        const valid = await f.dev.mint()
        const sig = valid.split('.')[2]
        const header = b64url({ alg: 'ES256', kid: f.dev.kid, typ: 'JWT' })
        const cases = [
          'x'.repeat(20_000),
          'a.b.c',
          '...',
          'eyJ.eyJ.eyJ',
          `${b64url('\u0000\u00ff')}.${b64url('x')}.${sig}`,
          `${header}.${b64url(nested)}.${sig}`,
          `${header}.${btoa(String.fromCharCode(0xff, 0xfe, 0xfd)).replace(/=+$/, '')}.${sig}`,
          `${header}.${b64url({ aud: Array.from({ length: 3000 }, (_, i) => `a${i}`) })}.${sig}`,
          '\u00e9\u00e9\u00e9',
          `${valid}A`,
          `${valid}AAAA`,
          valid.replace('.', 'A.'),
        ]
        for (const token of cases) {
          const res = await f.call(undefined, { authorization: `Bearer ${token}` })
          equal(res.status, 401, `status for ${token.slice(0, 20)}`)
          equal(((await res.json()) as { error: string }).error, 'invalid_token', 'code')
        }
        const huge = await f.call(undefined, { authorization: `Bearer ${'A'.repeat(1_000_000)}` })
        equal(huge.status, 401, 'a 1 MB header')
        equal(f.calls, 0, 'handler calls')
      },
    },
    {
      name: 'a signed token altered anywhere outside the base64url alphabet is refused, and the original still passes',
      async run() {
        const f = await fixture()
        // A signature holding "-" or "_", so that one case swaps in the standard alphabet's "+" or
        // "/", which a lenient decoder (Node's Buffer) reads as the same bytes.
        let valid = await f.dev.mint()
        while (!/[-_]/.test(valid.split('.')[2]!)) valid = await f.dev.mint()
        const [h, p, s] = valid.split('.') as [string, string, string]
        const mid = p.length >> 1
        const at = s.search(/[-_]/)
        const altered = [
          // In the payload: characters a lenient decoder skips or maps onto the alphabet.
          `${h}.${p.slice(0, mid)} ${p.slice(mid)}.${s}`,
          `${h}.${p.slice(0, mid)}\t${p.slice(mid)}.${s}`,
          `${h}.${p.slice(0, mid)}=${p.slice(mid)}.${s}`,
          `${h}.${p}=.${s}`,
          `${h}.${p.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(p) ? '' : '+'}.${s}`,
          `${h}.${p.slice(0, mid)}\u00e9${p.slice(mid + 1)}.${s}`,
          `${h}.${p.slice(0, mid)}\u0080${p.slice(mid)}.${s}`,
          // In the header and the signature.
          `${h} .${p}.${s}`,
          `${h}=.${p}.${s}`,
          `${h}.${p}.${s.slice(0, at)}${s[at] === '-' ? '+' : '/'}${s.slice(at + 1)}`,
          `${h}.${p}.${s.slice(0, 40)}\u00e9${s.slice(41)}`,
          `${h}.${p}.${s.slice(0, 85)}=`,
          `${h}.${p}.${s.slice(0, 84)}==`,
        ]
        for (const token of altered) {
          const res = await f.call(undefined, { authorization: `Bearer ${token}` })
          equal(res.status, 401, `status for ${JSON.stringify(token.slice(0, 12))}...`)
          equal(((await res.json()) as { error: string }).error, 'invalid_token', 'code')
        }
        equal(f.calls, 0, 'handler calls')
        equal((await f.call(valid)).status, 200, 'the unaltered token')
      },
    },
    {
      name: 'onError receives the detailed reason; the client sees only the generic text',
      async run() {
        const seen: { code: string; reason: string }[] = []
        const f = await fixture({ onError: (e) => seen.push({ code: e.code, reason: e.reason }) })
        const res = await f.call(await f.dev.mint({ aud: ['resource://other'] }))
        const body = (await res.json()) as { error_description: string }
        equal(body.error_description, 'Token validation failed', 'generic description')
        equal(seen.length, 1, 'one report')
        equal(seen[0]?.code, 'invalid_token', 'code')
        match(seen[0]?.reason ?? null, /aud/, 'reason names the claim')
      },
    },
    {
      name: 'a repeated mandate still sees a revocation on the very next request (cache hit)',
      async run() {
        const f = await fixture()
        const token = await f.dev.mint({ sid: 'sid-cached' })
        equal((await f.call(token)).status, 200, 'first')
        equal((await f.call(token)).status, 200, 'second (cached)')
        f.calls = 0
        f.store.markRevoked('sid-cached')
        await expectRefusal(await f.call(token), 401, 'session_revoked', f)
      },
    },
    {
      name: 'a cached mandate still gets per-route requirements',
      async run() {
        const f = await fixture({ routes: { '/admin': { requiredScopes: ['admin'] } } })
        const token = await f.dev.mint({ scope: 'billing:read' })
        equal((await f.call(token)).status, 200, 'default route')
        await expectRefusal(await f.call(token, { path: '/admin' }), 403, 'insufficient_scope', {
          ...f,
          calls: f.calls - 1,
        })
      },
    },
  ]
}
