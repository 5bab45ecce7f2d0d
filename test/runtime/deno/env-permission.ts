/**
 * Deno without --allow-env (this runner has only --allow-net=127.0.0.1): configuration passed as
 * options works, and a gap the environment would fill is reported as the missing permission, not
 * as an unset variable.
 */
import { MemoryRevocationStore, withCaracal } from 'caracal-fetch'
import { caracal } from 'caracal-fetch/hono'
import { equal, rejects, type ContractCase } from '../../contract/assert.js'

declare const Deno: {
  permissions: { querySync(descriptor: { name: 'env'; variable?: string }): { state: string } }
}

const revocations = new MemoryRevocationStore()
const handler = () => new Response('ok')

export const envPermissionCases: ContractCase[] = [
  {
    name: 'Deno without --allow-env: configuration from options works (the environment is never read)',
    async run() {
      equal(Deno.permissions.querySync({ name: 'env' }).state === 'granted', false, 'this runner has no env permission')
      const wrapped = withCaracal(handler, {
        audience: 'resource://a',
        issuer: 'https://sts.example',
        zoneId: 'zone-a',
        revocations,
      })
      equal((await wrapped(new Request('http://127.0.0.1/'))).status, 401, 'the wrapper answers')
    },
  },
  {
    name: 'Deno without --allow-env: a missing issuer names the permission, not "no issuer"',
    async run() {
      await rejects(
        () => withCaracal(handler, { audience: 'resource://a', zoneId: 'zone-a', revocations }),
        /^withCaracal: cannot read CARACAL_STS_URL: Deno needs --allow-env=CARACAL_STS_URL \(or pass `issuer`\)$/,
        'missing issuer',
      )
    },
  },
  {
    name: 'Deno without --allow-env: each identity variable is named, in the Hono middleware too',
    async run() {
      await rejects(
        () => withCaracal(handler, { audience: 'resource://a', issuer: 'https://sts.example', revocations }),
        /^withCaracal: cannot read CARACAL_ZONE_ID: Deno needs --allow-env=CARACAL_ZONE_ID \(or pass `zoneId`\)$/,
        'missing zone',
      )
      await rejects(
        () => caracal({ issuer: 'https://sts.example', zoneId: 'zone-a', revocations }),
        /^caracal: cannot read CARACAL_AUDIENCE: Deno needs --allow-env=CARACAL_AUDIENCE \(or pass `audience`\)$/,
        'missing audience',
      )
    },
  },
]
