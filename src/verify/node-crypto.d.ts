// The two node:crypto functions signature-node.ts uses, declared here so that src compiles with
// `types: []` and no Node global leaks into the portable modules.
declare module 'node:crypto' {
  interface KeyObject {
    readonly asymmetricKeyType?: string
  }
  export function createPublicKey(input: { key: Record<string, unknown>; format: 'jwk' }): KeyObject
  export function verify(
    algorithm: string,
    data: Uint8Array,
    key: { key: KeyObject; dsaEncoding: 'ieee-p1363' },
    signature: Uint8Array,
  ): boolean
  export function verify(
    algorithm: string,
    data: Uint8Array,
    key: { key: KeyObject; dsaEncoding: 'ieee-p1363' },
    signature: Uint8Array,
    callback: (error: Error | null, result: boolean) => void,
  ): void
}

declare module 'node:buffer' {
  export const Buffer: {
    from(input: string, encoding: 'base64url' | 'latin1' | 'utf8'): Uint8Array
  }
}
