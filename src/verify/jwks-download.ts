/**
 * Downloading a zone's JWKS: `GET {issuer}/.well-known/jwks.json?zone_id=...` within a deadline
 * and a size limit, following redirects only on the issuer's origin, with the cache lifetime the
 * response asks for.
 */
import type { JWK } from 'jose'
import { withDeadline } from '../async.js'
import { readBounded } from '../http/read-bounded.js'

/** A JSON Web Key Set, as served at `{issuer}/.well-known/jwks.json`. */
export interface JsonWebKeySet {
  keys: readonly JWK[]
}

/** The `fetch` the JWKS is downloaded with: the global one, or e.g. a Workers service binding's. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

/** The STS sends `max-age=300`; this is the fallback when a response carries none. */
const DEFAULT_TTL_MS = 300_000
const MIN_TTL_MS = 30_000
/** The longest a JWKS response is trusted, whatever its max-age says. */
export const MAX_TTL_MS = 3_600_000
const MAX_BODY_BYTES = 256 * 1024
const MAX_REDIRECTS = 3

/** The JWKS URL of a zone. The zone comes from configuration, never from the token. */
export function jwksUrl(issuer: string, zoneId: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json?zone_id=${encodeURIComponent(zoneId)}`
}

function ttlFrom(cacheControl: string | null): number {
  if (cacheControl === null) return DEFAULT_TTL_MS
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(cacheControl)) return MIN_TTL_MS
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,9})"?\s*(?:,|$)/i.exec(cacheControl)
  if (!m) return DEFAULT_TTL_MS
  return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, Number(m[1]) * 1000))
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = response.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) {
    await response.body?.cancel().catch(() => {})
    throw new Error(`JWKS response declares ${declared} bytes, over the ${limit}-byte limit`)
  }
  const bytes = await readBounded(response.body, limit)
  if (bytes === undefined) throw new Error(`JWKS response exceeds the ${limit}-byte limit`)
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}

export interface Fetched {
  readonly jwks: unknown
  readonly ttlMs: number
}

/** GETs the JWKS within a deadline and a size limit, following redirects only on the same origin. */
export function download(fetchFn: FetchLike, url: string, timeoutMs: number): Promise<Fetched> {
  const controller = new AbortController()
  // The deadline also settles the download by itself: a custom `fetch` (a service binding, a
  // wrapper) that ignores `signal` must not hold requests past it.
  return withDeadline(
    fetchJwks(fetchFn, url, controller),
    timeoutMs,
    () => new Error(`JWKS fetch timed out after ${timeoutMs} ms`),
    (reason) => controller.abort(reason),
  )
}

/**
 * Caracal's STS answers 400 or 404 for a zone it does not know at this issuer: a configuration
 * mistake (or a new zone) that would otherwise read as an outage.
 */
function likelyCause(status: number): string {
  if (status !== 400 && status !== 404) return ''
  return '; the STS does not know this zone: check `zoneId` and `issuer` (CARACAL_ZONE_ID, CARACAL_STS_URL), or the zone has minted no mandate yet'
}

async function fetchJwks(fetchFn: FetchLike, url: string, controller: AbortController): Promise<Fetched> {
  try {
    const origin = new URL(url).origin
    let current = url
    for (let hop = 0; ; hop++) {
      const response = await fetchFn(current, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: controller.signal,
      })
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel().catch(() => {})
        const next = new URL(location, current)
        if (next.origin !== origin) throw new Error(`JWKS redirect to another origin refused: ${next.origin}`)
        if (hop >= MAX_REDIRECTS) throw new Error('too many JWKS redirects')
        current = next.href
        continue
      }
      // A custom `fetch` may follow redirects itself, whatever `redirect: 'manual'` asked: then the
      // response says where it came from, and only the issuer's origin is trusted for keys.
      const servedFrom = response.redirected && response.url !== '' ? new URL(response.url).origin : origin
      if (servedFrom !== origin) {
        await response.body?.cancel().catch(() => {})
        throw new Error(`JWKS redirect to another origin refused: ${servedFrom}`)
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {})
        throw new Error(`JWKS endpoint answered HTTP ${response.status}${likelyCause(response.status)}`)
      }
      const text = await readLimited(response, MAX_BODY_BYTES)
      return { jwks: JSON.parse(text), ttlMs: ttlFrom(response.headers.get('cache-control')) }
    }
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason
    throw error
  }
}
