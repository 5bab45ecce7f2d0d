/**
 * The `_sig` of a Caracal stream message (caracal-mandates.md section 6): lowercase hex
 * HMAC-SHA256 over `"<stream>\n"` then `"<key>=<value>\n"` per field except `_sig`, keys sorted by
 * code unit, null or absent values skipped, nothing escaped. Web Crypto only, so it runs in every
 * runtime the feed does (Workers included).
 */

/** The name of the signature field. */
export const SIGNATURE_FIELD = '_sig'

const SIGNATURE_HEX = /^[0-9a-f]{64}$/
const KEY_HEX = /^(?:[0-9a-fA-F]{2})+$/
const MIN_KEY_BYTES = 32

/** The exact bytes a producer signs: the stream name, then the sorted fields, one per line. */
export function canonicalForm(stream: string, fields: Readonly<Record<string, string | null | undefined>>): string {
  let out = `${stream}\n`
  // Default sort compares UTF-16 code units: the order Caracal's producers use.
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key]
    if (key === SIGNATURE_FIELD || value === null || value === undefined) continue
    out += `${key}=${value}\n`
  }
  return out
}

/**
 * Decodes a hex `STREAMS_HMAC_KEY`.
 * @throws TypeError when it is not hex or shorter than 32 bytes (`where` names the caller).
 */
export function decodeHmacKey(where: string, hex: unknown): Uint8Array<ArrayBuffer> {
  if (typeof hex !== 'string' || !KEY_HEX.test(hex)) {
    throw new TypeError(`${where}: hmacKey must be the hex STREAMS_HMAC_KEY of the Caracal deployment`)
  }
  if (hex.length / 2 < MIN_KEY_BYTES) {
    throw new TypeError(
      `${where}: hmacKey is ${hex.length / 2} bytes; Caracal requires at least ${MIN_KEY_BYTES} (64 hex characters)`,
    )
  }
  return hexToBytes(hex)
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

function bytesToHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** Verifies and computes `_sig` values with one imported HMAC key. */
export class StreamSignature {
  readonly #keyBytes: Uint8Array<ArrayBuffer>
  #imported: Promise<CryptoKey> | undefined

  /** @param keyBytes the decoded STREAMS_HMAC_KEY (see `decodeHmacKey`). */
  constructor(keyBytes: Uint8Array<ArrayBuffer>) {
    this.#keyBytes = keyBytes
  }

  // Imported on first use, not at construction: a feed may be built in a Worker's global scope.
  get #key(): Promise<CryptoKey> {
    this.#imported ??= crypto.subtle.importKey('raw', this.#keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
    return this.#imported
  }

  /** The lowercase hex `_sig` a producer holding this key sends for `fields` on `stream`. */
  async sign(stream: string, fields: Readonly<Record<string, string | null | undefined>>): Promise<string> {
    const mac = await crypto.subtle.sign(
      'HMAC',
      await this.#key,
      new TextEncoder().encode(canonicalForm(stream, fields)),
    )
    return bytesToHex(new Uint8Array(mac))
  }

  /**
   * Whether `fields` carry a valid `_sig` for `stream`. False for a missing or malformed `_sig`
   * (exactly 64 lowercase hex characters), and for any value holding a newline: the form does not
   * escape it, so such a MAC does not pin down one field set.
   */
  async verify(stream: string, fields: Readonly<Record<string, string>>): Promise<boolean> {
    const sig = fields[SIGNATURE_FIELD]
    if (typeof sig !== 'string' || !SIGNATURE_HEX.test(sig)) return false
    for (const key of Object.keys(fields)) {
      if (key.includes('\n') || key.includes('=') || fields[key]!.includes('\n')) return false
    }
    // subtle.verify compares in constant time.
    return crypto.subtle.verify(
      'HMAC',
      await this.#key,
      hexToBytes(sig),
      new TextEncoder().encode(canonicalForm(stream, fields)),
    )
  }
}
