/**
 * The shared fixture (./fixture.ts) bound to src/, for the unit tests: a development issuer of the
 * shared zone, the options that trust it with a fresh memory store, and requests that carry its
 * mandates. Contract suites and runtime runners use ./fixture.ts with the built package instead.
 */
import { MemoryRevocationStore } from '../../src/index.js'
import { createDevIssuer, type DevIssuer } from '../../src/testing.js'
import { DEV_ZONE, bearerRequest, trusting } from './fixture.js'

export interface DevZone {
  readonly dev: DevIssuer
  /** The options that trust `dev` for the shared audience, with a fresh `MemoryRevocationStore`. */
  readonly options: ReturnType<typeof trusting> & { revocations: MemoryRevocationStore }
  /** A request to `path` carrying a fresh mandate with `claims` over the issuer's defaults. */
  request(claims?: Record<string, unknown>, path?: string): Promise<Request>
}

/** What a suite may change of the shared zone: the audience, for one that must be the resource's URL (MCP, RFC 9728). */
export interface ZoneOverrides {
  readonly audience?: string
}

/**
 * A fresh development issuer of the shared zone, and what a unit test needs to trust it. `audience`
 * replaces the shared one on both sides (the mandates and the options).
 */
export async function devZone(overrides: ZoneOverrides = {}): Promise<DevZone> {
  const dev = await createDevIssuer({ ...DEV_ZONE, ...overrides })
  return {
    dev,
    options: { ...trusting(dev), audience: dev.audience, revocations: new MemoryRevocationStore() },
    request: async (claims = {}, path) => bearerRequest(await dev.mint(claims), path),
  }
}
