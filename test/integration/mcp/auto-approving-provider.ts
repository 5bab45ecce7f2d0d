/** An interactive OAuth client for the step-up tests: its "browser" approves at once. */
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import { CLIENT_ID, clientWithProvider, type McpHarness, type SdkClient } from './harness.js'

/**
 * An interactive OAuth client whose "browser" approves at once: `redirectToAuthorization` follows
 * the authorization URL and keeps the code, for the test to hand to `transport.finishAuth`.
 */
export class AutoApprovingProvider implements OAuthClientProvider {
  readonly authorizationUrls: URL[] = []
  code: string | undefined
  #client: OAuthClientInformationMixed = { client_id: CLIENT_ID }
  #tokens: OAuthTokens | undefined
  #verifier = ''
  constructor(tokens: OAuthTokens) {
    this.#tokens = tokens
  }
  get redirectUrl(): string {
    return 'http://127.0.0.1/callback'
  }
  get clientMetadata(): OAuthClientMetadata {
    return { redirect_uris: [this.redirectUrl], token_endpoint_auth_method: 'none', client_name: 'step-up test' }
  }
  clientInformation(): OAuthClientInformationMixed {
    return this.#client
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.#client = info
  }
  tokens(): OAuthTokens | undefined {
    return this.#tokens
  }
  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens
  }
  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrls.push(url)
    const answer = await fetch(url, { redirect: 'manual' })
    this.code = new URL(answer.headers.get('location')!).searchParams.get('code') ?? undefined
  }
  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier
  }
  codeVerifier(): string {
    return this.#verifier
  }
}

/** An SDK client (not connected yet) holding a mandate for `scope`, whose provider approves any step-up at once. */
export async function steppingUpClient(
  h: McpHarness,
  scope: string,
): Promise<SdkClient & { readonly provider: AutoApprovingProvider }> {
  const provider = new AutoApprovingProvider({ access_token: await h.mint({ scope }), token_type: 'Bearer' })
  return { ...clientWithProvider(h, provider), provider }
}
