// The handlers under test, identical in every runtime. Each variant serves the same tiny handler;
// only what stands in front of it changes.
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { Hono } from 'hono'
import { jwk } from 'hono/jwk'
import { createLocalJWKSet, jwtVerify } from 'jose'

/** The protected work itself: as small as possible, so the bench measures what wraps it. */
export const bare = () => new Response('ok')

function caracalOptions(fixture, extra = {}) {
  return {
    audience: fixture.audience,
    issuer: fixture.issuer,
    zoneId: fixture.zoneId,
    jwks: fixture.jwks,
    revocations: new MemoryRevocationStore(),
    ...extra,
  }
}

// A hand-written verifier that answers Caracal's wire contract must send the same refusal bytes as
// withCaracal (JSON body, RFC 6750 challenge); it gets them as precomputed constants, the cheapest
// way there is, so both sides of the comparison write identical responses.
const INVALID_BODY = JSON.stringify({
  error: 'invalid_token',
  error_description: 'Token validation failed',
  error_hint: 'Check issuer, audience, signature, expiry, token use, scopes, and targets.',
})
const INVALID_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'www-authenticate': 'Bearer error="invalid_token", error_description="Token validation failed"',
}

/** A typical hand-written verifier: jose jwtVerify with a cached local JWKS. */
function handWrittenJose(fixture) {
  const keys = createLocalJWKSet(fixture.jwks)
  const options = { issuer: fixture.issuer, audience: fixture.audience, algorithms: ['ES256'] }
  const refuse = () => new Response(INVALID_BODY, { status: 401, headers: INVALID_HEADERS })
  return async (request) => {
    const header = request.headers.get('authorization') ?? ''
    if (!/^bearer\s/i.test(header)) return refuse()
    try {
      await jwtVerify(header.slice(7).trim(), keys, options)
    } catch {
      return refuse()
    }
    return bare(request)
  }
}

function honoJwk(fixture) {
  const app = new Hono()
  app.use('*', jwk({ keys: fixture.jwks.keys, alg: ['ES256'] }))
  app.get('*', (c) => c.text('ok'))
  return (request) => app.fetch(request)
}

async function upstashVariant(fixture, storeOptions = {}) {
  const [{ Redis }, { UpstashRevocationStore }] = await Promise.all([
    import('@upstash/redis'),
    import('caracal-fetch/upstash'),
  ])
  const redis = new Redis({
    url: fixture.upstash.url,
    token: fixture.upstash.token,
    retry: { retries: 0 },
    enableAutoPipelining: false,
  })
  return withCaracal(bare, caracalOptions(fixture, { revocations: new UpstashRevocationStore(redis, storeOptions) }))
}

/** variant name -> fetch handler (or a promise of one). `cacheEntries` bounds the cache for the cache-miss variant. */
export function makeHandler(variant, fixture) {
  switch (variant) {
    case 'bare':
      return bare
    case 'bare-header':
      // Reads the Authorization header and does nothing else: the floor of any verifier's overhead.
      return (request) => (request.headers.get('authorization') ? bare(request) : new Response(null, { status: 401 }))
    case 'caracal':
      return withCaracal(bare, caracalOptions(fixture))
    case 'caracal-miss':
      // A cache much smaller than the token pool the client cycles through: every request misses.
      return withCaracal(bare, caracalOptions(fixture, { mandateCache: { maxEntries: 16 } }))
    case 'jose':
      return handWrittenJose(fixture)
    case 'hono-jwk':
      return honoJwk(fixture)
    case 'caracal-upstash':
      // The memory-store variant's twin, with revocations read from the loopback Upstash REST shim.
      return upstashVariant(fixture)
    case 'caracal-upstash-single':
      // The same, one MGET per lookup: what coalescing is compared with.
      return upstashVariant(fixture, { coalesceLookups: false })
    default:
      throw new Error(`unknown variant ${variant}`)
  }
}
