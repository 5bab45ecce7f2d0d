/** Helpers shared by the workerd test files (they run inside workerd). */
import { env, exports } from 'cloudflare:workers'
import type { Env } from './worker.js'

export const testEnv = env as unknown as Env
export const PREFIX = 'caracal:revoked:sessions:'

/** A mandate from the loopback issuer started by global-setup.ts. */
export async function mint(claims: Record<string, unknown> = {}, expiresIn?: number): Promise<string> {
  const res = await fetch(`${testEnv.CARACAL_STS_URL}/mint`, {
    method: 'POST',
    body: JSON.stringify({ claims, expiresIn }),
  })
  if (res.status !== 200) throw new Error(`mint failed: ${res.status} ${await res.text()}`)
  return res.text()
}

/** JWKS requests the issuer has served so far. */
export async function jwksRequests(): Promise<number> {
  const res = await fetch(`${testEnv.CARACAL_STS_URL}/stats`)
  return ((await res.json()) as { jwksRequests: number }).jwksRequests
}

/** A request to the Worker under test, as a separate incoming request (its own I/O context). */
export function call(path: string, token?: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
  const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default
  return worker.fetch(new Request(`https://api.test${path}`, { ...init, headers }))
}

/** The wire error code of a refusal. */
export async function errorOf(res: Response): Promise<string | undefined> {
  if (res.status < 400) return undefined
  return ((await res.json()) as { error?: string }).error
}

let counter = 0
/** A name no other test uses (storage and per-isolate state are shared within a file). */
export function unique(name: string): string {
  return `${name}-${Date.now().toString(36)}-${++counter}`
}

/** What the Worker's wrapped namespaces and `onError` hooks recorded since the last reset. */
export async function seen(): Promise<{
  calls: { method: string; keys: string | string[]; options: Record<string, unknown> | undefined }[]
  errors: { route: string; code: string; reason: string }[]
}> {
  return (await call('/__seen')).json()
}

export async function resetSeen(): Promise<void> {
  await call('/__reset')
}

/** Makes the issuer answer JWKS requests only after `ms` milliseconds (0: at once). */
export async function setJwksDelay(ms: number): Promise<void> {
  await fetch(`${testEnv.CARACAL_STS_URL}/jwks-delay?ms=${ms}`, { method: 'POST' })
}
