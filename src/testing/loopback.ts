/**
 * Where the testing kit may point: its development issuer mints mandates that its own keys verify,
 * so it must never pose as, serve for, or send claims to a real STS unless the caller says so with
 * an option named for the risk (`dangerouslyAllowNonLoopback`).
 */

/** True for 127.0.0.0/8, ::1 and localhost (with its subdomains, RFC 6761 section 6.3). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  return (
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]' ||
    host === '::1' ||
    host === 'localhost' ||
    host.endsWith('.localhost')
  )
}

/** Special-use names that can never resolve to a real server (RFC 6761: .example, .test, .invalid). */
function isReservedName(hostname: string): boolean {
  return /\.(?:example|test|invalid)\.?$/i.test(hostname)
}

/**
 * Throws a TypeError unless `url` is an http(s) URL on a loopback host or, when `reservedNamesToo`,
 * on a special-use name that cannot reach anything (an in-process issuer named `https://sts.example`).
 * `allowed` is the caller's `dangerouslyAllowNonLoopback`; `override` names it in the message.
 */
export function assertLocalUrl(
  where: string,
  what: string,
  url: string,
  options: { allowed: boolean; reservedNamesToo: boolean; override?: string },
): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`${where}: ${what} ${JSON.stringify(url)} is not an absolute URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`${where}: ${what} ${JSON.stringify(url)} must be an http: or https: URL`)
  }
  if (options.allowed || isLoopbackHost(parsed.hostname)) return parsed
  if (options.reservedNamesToo && isReservedName(parsed.hostname)) return parsed
  throw new TypeError(
    `${where}: ${what} ${parsed.origin} is not a loopback address; the testing kit mints mandates its own ` +
      `keys verify and stays on 127.0.0.1, ::1 or localhost. Pass ${options.override ?? '`dangerouslyAllowNonLoopback: true`'} ` +
      'only for a throwaway test network',
  )
}
