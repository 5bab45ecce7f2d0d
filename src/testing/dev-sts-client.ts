/**
 * A client of a development STS running elsewhere (`dev.listen()` in a test's global setup,
 * `npx caracal-fetch dev-sts`): mints through its `POST /mint`, so code that cannot share the
 * issuer's keys, such as a test inside workerd or the `mint` command, gets mandates the same way.
 */
import { rejectUnknownKeys } from '../option-keys.js'
import { wireClaims, type MandateClaims } from './claims.js'
import type { DevRequestOptions } from './dev-issuer.js'
import { assertLocalUrl } from './loopback.js'

export interface DevStsClientOptions {
  /**
   * Risky: send claims to a dev STS on a non-loopback address (a real STS has no `/mint`, but a
   * misdirected `CARACAL_STS_URL` must not receive test traffic).
   * @default false
   */
  dangerouslyAllowNonLoopback?: boolean
  /** The fetch used to reach the dev STS. @default globalThis.fetch */
  fetch?: (input: string, init: RequestInit) => Promise<Response>
}

/** What `connectDevSts` gives: the same `mint` and `request` as a local issuer, over HTTP. */
export interface DevStsClient {
  /** The dev STS's issuer URL (its origin). */
  readonly issuer: string
  /** A mandate with these claims (checked by name; `scope` may be a list). */
  mint(claims?: MandateClaims, options?: { expiresIn?: number }): Promise<string>
  /** A Request to `url` carrying `Authorization: Bearer <fresh mandate>`. */
  request(url: string | URL, options?: DevRequestOptions): Promise<Request>
}

/**
 * Connects to a development STS by URL (loopback only unless told otherwise).
 *
 * @example
 * ```ts
 * const sts = connectDevSts(env.CARACAL_STS_URL)
 * const response = await worker.fetch(await sts.request('https://api.example/invoices', { scope: 'billing:read' }))
 * ```
 */
export function connectDevSts(url: string, options: DevStsClientOptions = {}): DevStsClient {
  rejectUnknownKeys('connectDevSts', options, ['dangerouslyAllowNonLoopback', 'fetch'])
  const sts = assertLocalUrl('connectDevSts', 'dev STS URL', url, {
    allowed: options.dangerouslyAllowNonLoopback === true,
    reservedNamesToo: false,
  })
  const issuer = sts.href.replace(/\/+$/, '')
  const send = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init))

  const mint = async (claims: object = {}, mintOptions: { expiresIn?: number } = {}): Promise<string> => {
    rejectUnknownKeys('connectDevSts: mint', mintOptions, ['expiresIn'])
    const body = JSON.stringify(wireClaims('connectDevSts: mint', claims))
    const query = mintOptions.expiresIn === undefined ? '' : `?expires_in=${mintOptions.expiresIn}`
    let response: Response
    try {
      response = await send(`${issuer}/mint${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        // 'manual', not 'error' (which Workers refuse): a redirect is then a non-2xx, refused below.
        redirect: 'manual',
      })
    } catch (error) {
      throw new Error(`no dev STS answers at ${sts.origin} (${(error as Error).message})`, { cause: error })
    }
    const answer = (await response.json().catch(() => ({}))) as { access_token?: unknown; error_description?: unknown }
    if (!response.ok || typeof answer.access_token !== 'string') {
      const reason = typeof answer.error_description === 'string' ? answer.error_description : `HTTP ${response.status}`
      throw new Error(`the dev STS at ${sts.origin} refused: ${reason}`)
    }
    return answer.access_token
  }

  return {
    issuer,
    mint,
    async request(target, requestOptions = {}) {
      const { init, expiresIn, ...claims } = requestOptions
      const headers = new Headers(init?.headers)
      if (headers.has('authorization')) {
        throw new TypeError('connectDevSts: init already has an Authorization header; use mint() to build it yourself')
      }
      headers.set('authorization', `Bearer ${await mint(claims, expiresIn === undefined ? {} : { expiresIn })}`)
      return new Request(target, { ...init, headers })
    },
  }
}
