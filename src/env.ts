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

/**
 * Why `name` cannot be read from the global environment, when the runtime forbids it: Deno without
 * `--allow-env` throws `NotCapable` (`PermissionDenied` before Deno 2). Called only once a lookup
 * came back empty, to say so in the construction error instead of "not set".
 */
export function globalEnvDenial(name: string): string | undefined {
  const deno = (globalThis as { Deno?: { env?: { get(n: string): string | undefined } } }).Deno
  if (deno?.env === undefined) return undefined
  try {
    deno.env.get(name)
    return undefined
  } catch (error) {
    const kind = (error as { name?: unknown } | null)?.name
    if (kind === 'NotCapable' || kind === 'PermissionDenied') return `Deno needs --allow-env=${name}`
    return undefined
  }
}

/** Cloudflare Workers (workerd) sets this user agent; its env only arrives with each request. */
export function isWorkers(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers'
}
