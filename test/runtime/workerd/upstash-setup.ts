/**
 * Runs in Node before the workerd tests: a real redis-server behind the Upstash REST shim, on
 * random loopback ports, so the Worker under test reads revocations over real HTTP with the real
 * `@upstash/redis` client. `GET <upstashStats>` answers how many REST requests the shim has served.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import { findRedisServer, startRedis } from '../../support/redis-server.js'
import { startUpstashShim } from '../../support/upstash-rest-shim.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Empty when redis-server is not installed (the Upstash tests then skip, outside CI). */
    upstashUrl: string
    upstashToken: string
    upstashStats: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (findRedisServer().skip !== undefined) {
    for (const name of ['upstashUrl', 'upstashToken', 'upstashStats'] as const) project.provide(name, '')
    return async () => {}
  }
  const redis = await startRedis()
  const shim = await startUpstashShim({ redisPort: redis.port })
  const stats = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests: shim.requests.length }))
  })
  await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve))
  project.provide('upstashUrl', shim.url)
  project.provide('upstashToken', shim.token)
  project.provide('upstashStats', `http://127.0.0.1:${(stats.address() as AddressInfo).port}/`)
  return async () => {
    stats.closeAllConnections()
    await new Promise<void>((resolve) => stats.close(() => resolve()))
    await shim.close()
    await redis.stop()
  }
}
