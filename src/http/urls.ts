/**
 * Which URLs may be fetched or advertised: `https:`, or `http:` on loopback only. Shared by the
 * issuer check, the Upstash store and anything else that takes a URL from configuration.
 */

/** 127.0.0.0/8, ::1 and localhost (a URL's `hostname`, IPv6 brackets allowed). */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** Returns a problem with an https URL (http only on loopback), or undefined when it is acceptable. */
export function httpsUrlProblem(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not an absolute URL'
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return undefined
  return 'must use https: (http: is allowed only for 127.0.0.0/8, ::1 and localhost)'
}
