import { createDevIssuer } from 'caracal-fetch/testing'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    caracalStsUrl: string
  }
}

// Runs in Node before the tests: workerd cannot listen, so the dev STS lives here, on loopback.
export default async function setup(project: TestProject) {
  const sts = await (await createDevIssuer({ audience: 'resource://billing-api' })).listen()
  project.provide('caracalStsUrl', sts.issuer)
  return () => sts.close()
}
