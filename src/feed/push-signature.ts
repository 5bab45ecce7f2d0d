/**
 * The signature of a pushed revocation batch, defined once for the sender (`pushSink`) and the
 * receiver (`revocationReceiver`). It is the format Caracal uses for its own webhooks:
 *
 *   X-Caracal-Timestamp: <unix seconds>
 *   X-Caracal-Signature: v1=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>[,v1=<...>]
 *
 * The secret is used as its UTF-8 bytes. Several `v1=` values may be sent (one per secret while a
 * secret is being rotated); the batch is authentic when any of them verifies under any secret the
 * receiver holds. Comparison is Web Crypto's `verify`, which does not leak timing.
 */

/** Request header carrying the signing time, in unix seconds. */
export const TIMESTAMP_HEADER = 'X-Caracal-Timestamp'
/** Request header carrying the signature(s). */
export const SIGNATURE_HEADER = 'X-Caracal-Signature'
/** Shortest secret accepted, in UTF-8 bytes: HMAC-SHA256 gains nothing from a key under 32 bytes of entropy. */
export const MIN_SECRET_BYTES = 32

// Bounds on what a request may ask the receiver to verify, so a forged header costs little.
const MAX_SIGNATURE_HEADER_LENGTH = 1024
const MAX_SIGNATURES = 8
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/
const SIGNATURE_PATTERN = /^v1=([0-9a-f]{64})$/

const encoder = new TextEncoder()

/**
 * Validates one secret and imports it as an HMAC-SHA256 key. `where` and `name` prefix the
 * `TypeError` thrown for a secret that is not a string of at least {@link MIN_SECRET_BYTES} bytes.
 */
export function importPushSecret(where: string, name: string, secret: unknown): Promise<CryptoKey> {
  if (typeof secret !== 'string') throw new TypeError(`${where}: \`${name}\` must be a string`)
  const bytes = encoder.encode(secret)
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(
      `${where}: \`${name}\` must be at least ${MIN_SECRET_BYTES} bytes (it has ${bytes.length}); generate one with \`openssl rand -hex 32\``,
    )
  }
  return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
}

/** The bytes that are signed: `"<timestamp>.<raw body>"`. */
function signedBytes(timestamp: string, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = encoder.encode(`${timestamp}.`)
  const out = new Uint8Array(head.length + body.length)
  out.set(head)
  out.set(body, head.length)
  return out
}

function toHex(bytes: ArrayBuffer): string {
  let hex = ''
  for (const b of new Uint8Array(bytes)) hex += b.toString(16).padStart(2, '0')
  return hex
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** The `X-Caracal-Signature` value for `body` signed at `timestamp` (unix seconds) with `key`. */
export async function signPushBody(key: CryptoKey, timestamp: number, body: Uint8Array): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, signedBytes(String(timestamp), body))
  return `v1=${toHex(mac)}`
}

/**
 * The timestamp header as unix seconds, or undefined when it is absent or not a plain decimal
 * number (no sign, no fraction, no exponent: the signed text must be exactly what was parsed).
 */
export function parsePushTimestamp(header: string | null): number | undefined {
  if (header === null || !TIMESTAMP_PATTERN.test(header)) return undefined
  return Number(header)
}

/**
 * Whether `header` (the `X-Caracal-Signature` value) holds a `v1=` signature of `body` at
 * `timestamp` (the header text, as sent) under one of `keys`. Entries of other schemes are
 * ignored, so a sender may add a newer scheme alongside `v1`; malformed `v1` entries never match.
 */
export async function verifyPushSignature(
  keys: readonly CryptoKey[],
  timestamp: string,
  body: Uint8Array,
  header: string | null,
): Promise<boolean> {
  if (header === null || header.length > MAX_SIGNATURE_HEADER_LENGTH) return false
  const macs: Uint8Array<ArrayBuffer>[] = []
  for (const entry of header.split(',').slice(0, MAX_SIGNATURES)) {
    const match = SIGNATURE_PATTERN.exec(entry.trim())
    if (match !== null) macs.push(fromHex(match[1]!))
  }
  if (macs.length === 0) return false
  const data = signedBytes(timestamp, body)
  for (const key of keys) {
    for (const mac of macs) {
      if (await crypto.subtle.verify('HMAC', key, mac, data)) return true
    }
  }
  return false
}
