/**
 * The core contract: every row of caracal-mandates.md section 3, written once and run in every
 * runtime (Node, workerd, Bun, Deno). Requests go through the public API only: a Request in, a
 * Response out. The JWKS is served in process through the `fetch` option, so the suite needs no
 * sockets (workerd cannot listen); test/unit covers the real-HTTP JWKS path on Node.
 *
 * One file per topic; this index composes them, so a runner imports `coreContract` alone.
 */
import type { ContractCase } from '../assert.js'
import { claimsCases } from './claims.js'
import { extractionCases } from './extraction.js'
import { handlerCases } from './handler.js'
import { keysCases } from './keys.js'
import { requirementsCases } from './requirements.js'
import { responsesCases } from './responses.js'
import { revocationCases } from './revocation.js'
import { routesCases } from './routes.js'
import { signatureCases } from './signature.js'

export function coreContract(): ContractCase[] {
  return [
    ...handlerCases(),
    ...extractionCases(),
    ...signatureCases(),
    ...keysCases(),
    ...claimsCases(),
    ...requirementsCases(),
    ...revocationCases(),
    ...responsesCases(),
    ...routesCases(),
  ]
}
