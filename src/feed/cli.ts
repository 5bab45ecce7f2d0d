/**
 * `caracal-fetch feed`: runs `RevocationFeed` as a process next to the Caracal Redis. Configuration
 * comes from the environment, flags override it; a bad configuration is one line on stderr and exit
 * code 2. Each batch is one log line. SIGTERM / SIGINT finish the batch in hand, then exit 0.
 */
import { hostname } from 'node:os'
import process from 'node:process'
import { parseArgs } from 'node:util'
import { UpstashRevocationStore } from '../stores/upstash.js'
import { RevocationFeed, type FeedBatch, type PollResult } from './feed.js'
import { pushSink } from './push-sink.js'
import type { RevocationSink } from './sink.js'
import { storeSink } from './store-sink.js'
import { redactedUrl } from './sources/resolve.js'

const HELP = `usage: caracal-fetch feed [options]

Reads Caracal's revocation streams (caracal.sessions.revoke, caracal.delegations.invalidate) and
writes each revocation and delegation epoch into the revocation store withCaracal reads.

options (each overrides its environment variable):
  --redis-url URL           CARACAL_REDIS_URL: the Caracal deployment's Redis (redis:// or rediss://)
  --group NAME              CARACAL_FEED_GROUP: consumer group, one per deployment (default caracal-fetch)
  --consumer NAME           CARACAL_FEED_CONSUMER: this consumer's name (default <host name>-<pid>)
  --pending-idle-ms MS      CARACAL_FEED_PENDING_IDLE_MS: replay unacknowledged entries after MS (default 30000)
  --push URL                send batches to a revocationReceiver at URL (secret: CARACAL_FEED_PUSH_SECRET)
                            instead of writing Upstash (UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN)
  --once                    one non-blocking poll, then exit (cron jobs, CI)
  --insecure-accept-unsigned  accept messages without _sig when STREAMS_HMAC_KEY is not set
  -h, --help                this text

environment: STREAMS_HMAC_KEY (hex, >= 32 bytes) is required unless --insecure-accept-unsigned.
`

/** Where a batch line goes: stdout, one line each. */
function log(line: string): void {
  process.stdout.write(`caracal-fetch feed: ${line}\n`)
}

class ConfigError extends Error {}

interface Config {
  readonly once: boolean
  readonly feed: RevocationFeed
  readonly describe: string
}

function optionalPositiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  if (!/^[0-9]{1,10}$/.test(raw) || Number(raw) < 1)
    throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return Number(raw)
}

function sinkFrom(
  push: string | undefined,
  env: Record<string, string | undefined>,
): { sink: RevocationSink; describe: string } {
  if (push !== undefined) {
    const secret = env['CARACAL_FEED_PUSH_SECRET']
    if (secret === undefined || secret === '') throw new ConfigError('--push needs CARACAL_FEED_PUSH_SECRET')
    return { sink: pushSink({ url: push, secret }), describe: `push ${redactedUrl(push)}` }
  }
  if (!env['UPSTASH_REDIS_REST_URL']) {
    throw new ConfigError('no sink: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or pass --push URL')
  }
  // A batch is one EVAL of every write in it: give it longer than a single lookup's deadline.
  const store = UpstashRevocationStore.fromEnv(env, { timeoutMs: 10_000 })
  return {
    sink: storeSink(store),
    describe: `upstash ${redactedUrl(env['UPSTASH_REDIS_REST_URL'])}`,
  }
}

function configure(args: string[], env: Record<string, string | undefined>): Config | 'help' {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args,
      options: {
        'redis-url': { type: 'string' },
        group: { type: 'string' },
        consumer: { type: 'string' },
        'pending-idle-ms': { type: 'string' },
        push: { type: 'string' },
        once: { type: 'boolean' },
        'insecure-accept-unsigned': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
  if (values['help'] === true) return 'help'
  const flag = (name: string): string | undefined =>
    typeof values[name] === 'string' ? (values[name] as string) : undefined
  const setting = (name: string, variable: string): string | undefined => flag(name) ?? (env[variable] || undefined)

  const redisUrl = setting('redis-url', 'CARACAL_REDIS_URL')
  if (redisUrl === undefined)
    throw new ConfigError('no source: set CARACAL_REDIS_URL (redis:// or rediss://) or pass --redis-url')
  const hmacKey = env['STREAMS_HMAC_KEY'] || undefined
  const insecure = values['insecure-accept-unsigned'] === true
  if (hmacKey === undefined && !insecure) {
    throw new ConfigError('STREAMS_HMAC_KEY is not set (the hex key Caracal signs stream messages with)')
  }
  const { sink, describe } = sinkFrom(flag('push'), env)
  const group = setting('group', 'CARACAL_FEED_GROUP')
  const consumer = setting('consumer', 'CARACAL_FEED_CONSUMER') ?? `${hostname()}-${process.pid}`
  const pendingIdleMs = optionalPositiveInt(
    'CARACAL_FEED_PENDING_IDLE_MS',
    setting('pending-idle-ms', 'CARACAL_FEED_PENDING_IDLE_MS'),
  )
  let feed: RevocationFeed
  try {
    feed = new RevocationFeed({
      source: redisUrl,
      store: sink,
      consumer,
      ...(hmacKey === undefined ? { insecureAcceptUnsigned: true } : { hmacKey }),
      ...(group === undefined ? {} : { group }),
      ...(pendingIdleMs === undefined ? {} : { pendingIdleMs }),
      onError: (error, what) => log(`${what}: ${error instanceof Error ? error.message : String(error)}`),
    })
  } catch (error) {
    throw new ConfigError((error as Error).message.replace(/^RevocationFeed: /, ''))
  }
  return {
    once: values['once'] === true,
    feed,
    describe: `${redactedUrl(redisUrl)} group ${JSON.stringify(group ?? 'caracal-fetch')} consumer ${JSON.stringify(consumer)} -> ${describe}`,
  }
}

function batchLine(b: FeedBatch | PollResult): string {
  const failed = 'failed' in b ? ` failed=${b.failed}` : ''
  const pending = 'pendingLeft' in b ? ` pending=${b.pendingLeft}` : ''
  return `batch handled=${b.handled} revoked=${b.revoked} epochs=${b.epochs} dead=${b.deadLettered}${failed}${pending} lag=${b.lagMs}ms`
}

/** Runs `caracal-fetch feed` with `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  let config: Config | 'help'
  try {
    config = configure(args, process.env)
  } catch (error) {
    const message = error instanceof ConfigError || error instanceof TypeError ? error.message : String(error)
    process.stderr.write(
      `caracal-fetch feed: bad configuration: ${message.replace(/^UpstashRevocationStore\.fromEnv: /, '')}\n`,
    )
    return 2
  }
  if (config === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  const { feed, once, describe } = config
  log(`${once ? 'one poll' : 'started'}: ${describe}`)
  if (once) {
    try {
      await feed.ensureGroups()
      log(batchLine(await feed.pollOnce()))
      return 0
    } catch (error) {
      log(`poll failed: ${error instanceof Error ? error.message : String(error)}`)
      return 1
    } finally {
      await feed.close()
    }
  }
  const stop = new AbortController()
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130)
    log('stopping after the batch in hand')
    stop.abort()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  try {
    await feed.run({ signal: stop.signal, onBatch: (batch) => log(batchLine(batch)) })
  } catch (error) {
    process.stderr.write(
      `caracal-fetch feed: bad configuration: ${(error as Error).message.replace(/^RevocationFeed: /, '')}\n`,
    )
    await feed.close()
    return 2
  }
  await feed.close()
  log('stopped')
  // A keep-alive socket of the sink's fetch must not hold the process open after a clean stop.
  process.exit(0)
}
