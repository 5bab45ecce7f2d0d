/**
 * The world every fuzz property runs in: a trusted JWK set of two keys (the dev issuer's, for
 * tokens minted through the public `createDevIssuer`, and a raw signer's, for legit-signed bytes
 * the dev issuer cannot produce: duplicate keys, odd JSON, exact sizes), a fixed clock, a memory
 * store with some anchors revoked, routes with every requirement, and `withCaracal` wired to all
 * of it through the public entry only. The oracle is given the same facts, never the handler.
 */
import { generateKeyPair, exportJWK, type JWK } from 'jose'
import { MemoryRevocationStore, withCaracal, type CaracalOptions } from '../../../src/index.js'
import { createDevIssuer, type DevIssuer } from '../../../src/testing.js'
import { createOracle, type Oracle, type RouteRequirements } from './oracle.js'

export const ISSUER = 'https://sts.example/caracal'
export const ZONE = 'zone-a'
export const AUDIENCE = 'resource://billing-api'
/** A fixed clock (seconds), so a failing case replays the same claims against the same time. */
export const NOW_S = 1_800_000_000
export const REVOKED = ['sid-revoked', 'root-revoked', 'agent-revoked', 'edge-revoked'] as const
export const ZONE_EPOCH = 5
export const PATHS = ['/read', '/read/deep', '/pay', '/pay/sub', '/payouts', '/open'] as const
/** Every method is verified; HEAD gets the same status and headers with no body. */
export const METHODS = ['GET', 'GET', 'POST', 'HEAD', 'OPTIONS', 'DELETE'] as const

const DEFAULTS: RouteRequirements = {
  requiredScopes: ['billing:read'],
  requiredTargets: [],
  requireAgent: false,
  requireDelegation: false,
  requireChainContains: [],
  maxHopCount: 10,
  requiredUse: 'resource',
}
const PAY = {
  requiredScopes: ['billing:payout'],
  requiredTargets: ['api://pay'],
  requireAgent: true,
  requireDelegation: true,
  requireChainContains: ['app-x'],
  maxHopCount: 3,
}
const OPEN = { requiredScopes: [] }

export const enc = new TextEncoder()
export const b64url = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === 'string' ? enc.encode(bytes) : bytes).toString('base64url')

/** A key that signs any bytes as ES256; in the trusted JWK set. */
export interface RawSigner {
  readonly kid: string
  readonly publicJwk: JWK
  /** Compact JWS over exactly these header and payload texts (or bytes, which need not be UTF-8). */
  sign(headerJson: string | Uint8Array, payloadJson: string | Uint8Array): Promise<string>
}

export async function createRawSigner(kid = crypto.randomUUID()): Promise<RawSigner> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  return {
    kid,
    publicJwk,
    async sign(headerJson, payloadJson) {
      const input = `${b64url(headerJson)}.${b64url(payloadJson)}`
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        privateKey as CryptoKey,
        enc.encode(input),
      )
      return `${input}.${b64url(new Uint8Array(signature))}`
    },
  }
}

/** Claims of a mandate every route accepts (the `/pay` route's demands included). */
export function validClaims(): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: [AUDIENCE],
    iat: NOW_S - 10,
    exp: NOW_S + 300,
    jti: 'jti-1',
    sub: 'user-1',
    sub_type: 'user',
    client_id: 'app-agent',
    zone_id: ZONE,
    sid: 'sid-1',
    root_sid: 'root-1',
    use: 'resource',
    scope: 'billing:read billing:payout',
    target: ['api://pay'],
    agent_session_id: 'agent-1',
    delegation_edge_id: 'edge-1',
    delegation_chain: [{ application_id: 'app-x' }],
    hop_count: 1,
    delegation_graph_epoch: ZONE_EPOCH,
  }
}

export interface Sent {
  readonly status: number
  readonly ran: boolean
  readonly response: Response
  readonly authorization: string | null
  readonly method: string
}

export interface World {
  readonly dev: DevIssuer
  readonly raw: RawSigner
  readonly oracle: Oracle
  readonly jwksFetches: () => number
  /** Signs a payload JSON text with the raw key and the contract's header. */
  signPayload(payloadJson: string): Promise<string>
  /** Sends one request; `authorization` is one header value, several (appended), or none. */
  send(authorization: string | readonly string[] | null, path?: string, method?: string): Promise<Sent>
}

export interface WorldOptions {
  /** Options merged over the fixture's (e.g. a failing store or fetch). */
  readonly overrides?: Partial<CaracalOptions>
  /** 'shared-kid': both keys published under the dev key's kid, and the raw signer says so too. */
  readonly keys?: 'distinct' | 'shared-kid'
}

export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const dev = await createDevIssuer({ issuer: ISSUER, zoneId: ZONE, audience: AUDIENCE })
  const raw = await createRawSigner(options.keys === 'shared-kid' ? dev.kid : undefined)
  const jwks = { keys: [dev.jwks.keys[0]!, raw.publicJwk] }
  let fetches = 0
  const jwksUrl = `${ISSUER}/.well-known/jwks.json?zone_id=${ZONE}`
  const fetchJwks = async (input: string | URL | Request) => {
    fetches++
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url !== jwksUrl) return new Response('not found', { status: 404 })
    return Response.json(jwks, { headers: { 'cache-control': 'public, max-age=300, must-revalidate' } })
  }
  const store = new MemoryRevocationStore()
  for (const anchor of REVOKED) store.markRevoked(anchor)
  store.markDelegationEpoch(ZONE, ZONE_EPOCH)

  let ran = false
  const handler = withCaracal(
    () => {
      ran = true
      return Response.json({ ok: true })
    },
    {
      audience: AUDIENCE,
      issuer: ISSUER,
      zoneId: ZONE,
      revocations: store,
      fetch: fetchJwks,
      now: () => NOW_S * 1000,
      requiredScopes: DEFAULTS.requiredScopes,
      routes: { '/pay': PAY, '/open': OPEN },
      ...options.overrides,
    },
  )
  const oracle = createOracle({
    issuer: ISSUER,
    audience: AUDIENCE,
    zoneId: ZONE,
    jwks,
    nowS: NOW_S,
    routes: { '/': DEFAULTS, '/pay': { ...DEFAULTS, ...PAY }, '/open': { ...DEFAULTS, ...OPEN } },
    revokedAnchors: new Set(REVOKED),
    zoneEpoch: ZONE_EPOCH,
  })
  const header = JSON.stringify({ alg: 'ES256', kid: raw.kid, typ: 'JWT' })

  return {
    dev,
    raw,
    oracle,
    jwksFetches: () => fetches,
    signPayload: (payloadJson) => raw.sign(header, payloadJson),
    async send(authorization, path = '/read', method = 'GET') {
      const headers = new Headers()
      for (const value of typeof authorization === 'string' ? [authorization] : (authorization ?? [])) {
        headers.append('authorization', value)
      }
      const request = new Request(`https://api.example${path}`, { headers, method })
      ran = false
      const response = await handler(request)
      return { status: response.status, ran, response, authorization: request.headers.get('authorization'), method }
    },
  }
}
