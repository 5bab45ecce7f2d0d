/**
 * Turns the feed's `source` option into a `StreamSource`: a `redis://` / `rediss://` URL (a
 * node-redis connection the feed owns), a node-redis client, or an `@upstash/redis` client.
 */
import { connectRedisUrl, isNodeRedisClient, RedisTcpSource } from './redis-tcp.js'
import type { StreamSource } from './types.js'
import { isUpstashClient, UpstashStreamSource } from './upstash.js'

/** What `RevocationFeed`'s `source` accepts. */
export type FeedSource = string | URL | object

/** Checks `source` at construction; throws a TypeError naming the fix. */
export function checkSource(where: string, source: unknown): void {
  if (typeof source === 'string' || source instanceof URL) {
    let url: URL | undefined
    try {
      url = new URL(String(source))
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
      throw new TypeError(`${where}: source must be a redis:// or rediss:// URL, got ${redactedUrl(String(source))}`)
    }
    return
  }
  if (isUpstashClient(source)) {
    new UpstashStreamSource(source, where)
    return
  }
  if (isNodeRedisClient(source)) return
  throw new TypeError(
    `${where}: source must be a redis:// or rediss:// URL, a node-redis client (createClient from 'redis'), or an @upstash/redis Redis`,
  )
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(value: string): string {
  try {
    const url = new URL(value)
    if (url.password !== '') url.password = '***'
    return JSON.stringify(url.href.slice(0, 200))
  } catch {
    return JSON.stringify(value.replace(/\/\/[^@/]*@/, '//***@').slice(0, 80))
  }
}

/** The source for a checked `source` option. */
export async function openSource(source: unknown, onConnectionError: (error: unknown) => void): Promise<StreamSource> {
  if (typeof source === 'string' || source instanceof URL) return connectRedisUrl(String(source), onConnectionError)
  if (isUpstashClient(source)) return new UpstashStreamSource(source)
  return new RedisTcpSource(source as ConstructorParameters<typeof RedisTcpSource>[0])
}
