/** Environment lookups that work in every runtime and never throw (Deno without --allow-env throws). */

export type EnvBag = Readonly<Record<string, unknown>> | undefined

/** A non-empty string variable from the Workers-style `env` object, if it holds one. */
export function fromBindings(env: unknown, name: string): string | undefined {
  if (typeof env !== 'object' || env === null) return undefined
  try {
    const value = (env as Record<string, unknown>)[name]
    return typeof value === 'string' && value.length > 0 ? value : undefined
  } catch {
    return undefined
  }
}

/** `process.env[name]`, then `Deno.env.get(name)`, for runtimes whose environment is global. */
export function fromGlobalEnv(name: string): string | undefined {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> }
    Deno?: { env?: { get(n: string): string | undefined } }
  }
  try {
    const value = g.process?.env?.[name]
    if (typeof value === 'string' && value.length > 0) return value
  } catch {
    // a locked-down process shim
  }
  try {
    const value = g.Deno?.env?.get(name)
    if (typeof value === 'string' && value.length > 0) return value
  } catch {
    // Deno without --allow-env
  }
  return undefined
}

/** Cloudflare Workers (workerd) sets this user agent; its env only arrives with each request. */
export function isWorkers(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers'
}
