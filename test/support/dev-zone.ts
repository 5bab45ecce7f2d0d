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

/** A fresh development issuer of the shared zone, and what a unit test needs to trust it. */
export async function devZone(): Promise<DevZone> {
  const dev = await createDevIssuer(DEV_ZONE)
  return {
    dev,
    options: { ...trusting(dev), revocations: new MemoryRevocationStore() },
    request: async (claims = {}, path) => bearerRequest(await dev.mint(claims), path),
  }
}
