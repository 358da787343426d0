// The token endpoint of an upstream's OAuth provider (`oauth` egress): the
// authorization-code grant with PKCE at connect time, the refresh-token grant
// before expiry. The client secret, when the server names one, is sent with
// HTTP Basic (RFC 6749 §2.3.1); a public client sends only its id.
import type { OAuthEgressProvider } from "../store/registry-store.ts";
import { formEncode } from "./upstream-oidc.ts";

/** What the gateway keeps (sealed) of a provider's token response. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** Epoch milliseconds; null when the provider did not say (`expires_in` absent). */
  expiresAt: number | null;
  scopes: string[];
}

/**
 * The provider refused the grant (`invalid_grant` and the like: the user must
 * connect again), or could not be reached (`unreachable`: try again later).
 */
export class ProviderTokenError extends Error {
  override readonly name = "ProviderTokenError";
  constructor(
    readonly kind: "refused" | "unreachable",
    /** Safe to show: the provider's error code or the HTTP status, never a token. */
    readonly detail: string,
  ) {
    super(
      `the provider's token endpoint ${kind === "refused" ? "refused the grant" : "cannot be reached"}: ${detail}`,
    );
  }
}

const TIMEOUT_MS = 10_000;

export interface ProviderClient {
  provider: OAuthEgressProvider;
  /** The client secret's value, when the provider names one. */
  clientSecret: string | undefined;
  fetch: typeof fetch;
  now: () => number;
}

export function exchangeCode(
  client: ProviderClient,
  input: { code: string; codeVerifier: string; redirectUri: string },
): Promise<TokenSet> {
  return tokenRequest(client, {
    grant_type: "authorization_code",
    code: input.code,
    redirect_uri: input.redirectUri,
    code_verifier: input.codeVerifier,
  });
}

/** A new token set; keeps the old refresh token when the provider does not rotate it. */
export async function refreshTokens(client: ProviderClient, current: TokenSet): Promise<TokenSet> {
  if (current.refreshToken === null) throw new ProviderTokenError("refused", "no refresh token");
  const next = await tokenRequest(client, {
    grant_type: "refresh_token",
    refresh_token: current.refreshToken,
  });
  return { ...next, refreshToken: next.refreshToken ?? current.refreshToken };
}

async function tokenRequest(client: ProviderClient, grant: Record<string, string>): Promise<TokenSet> {
  const { provider, clientSecret } = client;
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    // Some providers (GitHub) answer form-encoded unless asked for JSON.
    accept: "application/json",
  };
  if (clientSecret !== undefined) {
    headers.authorization = `Basic ${btoa(`${formEncode(provider.clientId)}:${formEncode(clientSecret)}`)}`;
  }
  let response: Response;
  try {
    response = await client.fetch(provider.tokenUrl, {
      method: "POST",
      headers,
      body: new URLSearchParams({ ...grant, client_id: provider.clientId }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "manual",
    });
  } catch (error) {
    throw new ProviderTokenError("unreachable", error instanceof Error ? error.name : "network error");
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status >= 500) throw new ProviderTokenError("unreachable", `HTTP ${response.status}`);
  if (!response.ok || typeof answer.access_token !== "string" || answer.access_token === "") {
    const code = typeof answer.error === "string" ? answer.error.slice(0, 100) : `HTTP ${response.status}`;
    throw new ProviderTokenError("refused", code);
  }
  const expiresIn = typeof answer.expires_in === "number" ? answer.expires_in : Number(answer.expires_in);
  return {
    accessToken: answer.access_token,
    refreshToken: typeof answer.refresh_token === "string" ? answer.refresh_token : null,
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? client.now() + expiresIn * 1000 : null,
    scopes: typeof answer.scope === "string" ? answer.scope.split(" ").filter(Boolean) : provider.scopes,
  };
}
