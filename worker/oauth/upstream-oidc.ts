// The gateway as an OpenID Connect relying party of the configured upstream
// IdP (OIDC_*): discovery, the authorization URL (code flow with PKCE S256
// and a nonce), the code exchange, and the signed-in person as a Principal
// (ID token verified with the issuer's keys, userinfo merged in). Used by the
// authorization server's sign-in and by the dashboard's single sign-on.
import { type JWTPayload, jwtVerify } from "jose";
import { principalFromClaims } from "../auth/claims.ts";
import {
  DEFAULT_ALGORITHMS,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_JWKS_COOLDOWN_SECONDS,
  DEFAULT_JWKS_MAX_AGE_SECONDS,
  type IssuerConfig,
  PRESETS,
} from "../auth/issuers.ts";
import type { JwksCache } from "../auth/jwks-cache.ts";
import type { Principal } from "../auth/principal.ts";
import type { OidcSettings } from "./settings.ts";

const DISCOVERY_TTL_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 10_000;

export interface OidcEndpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
}

/** Why signing in at the IdP failed; `message` is safe to show, `internal` goes to logs only. */
export class OidcError extends Error {
  override readonly name = "OidcError";
  constructor(
    message: string,
    readonly internal?: string,
  ) {
    super(message);
  }
}

const discovered = new Map<string, { endpoints: OidcEndpoints; until: number }>();

export interface UpstreamOidcDeps {
  settings: OidcSettings;
  /** The AUTH_ISSUERS entry of this IdP, when there is one: how its claims map to a principal. */
  issuerConfig: IssuerConfig | null;
  jwks: JwksCache;
  fetch?: typeof fetch;
}

export interface UpstreamTokens {
  idToken: string;
  accessToken: string | null;
}

export class UpstreamOidc {
  readonly #deps: UpstreamOidcDeps;
  readonly #fetch: typeof fetch;

  constructor(deps: UpstreamOidcDeps) {
    this.#deps = deps;
    this.#fetch = deps.fetch ?? ((input, init) => fetch(input, init));
  }

  get issuer(): string {
    return this.#deps.settings.issuer;
  }

  async endpoints(): Promise<OidcEndpoints> {
    const issuer = this.issuer;
    const cached = discovered.get(issuer);
    if (cached && cached.until > Date.now()) return cached.endpoints;
    const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const response = await this.#get(url);
    const document = (await response.json()) as Record<string, unknown>;
    if (document.issuer !== issuer) {
      throw new OidcError(
        "The identity provider is misconfigured",
        `discovery issuer ${String(document.issuer)}`,
      );
    }
    for (const field of ["authorization_endpoint", "token_endpoint", "jwks_uri"]) {
      if (typeof document[field] !== "string") {
        throw new OidcError("The identity provider is misconfigured", `discovery lacks ${field}`);
      }
    }
    const endpoints = document as unknown as OidcEndpoints;
    discovered.set(issuer, { endpoints, until: Date.now() + DISCOVERY_TTL_MS });
    return endpoints;
  }

  /** Where to send the browser: the IdP's authorization endpoint with PKCE S256 and a nonce. */
  async authorizationUrl(input: {
    redirectUri: string;
    state: string;
    nonce: string;
    codeVerifier: string;
  }): Promise<string> {
    const { settings } = this.#deps;
    const url = new URL((await this.endpoints()).authorization_endpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", settings.clientId);
    url.searchParams.set("redirect_uri", input.redirectUri);
    url.searchParams.set("scope", settings.scopes.join(" "));
    url.searchParams.set("state", input.state);
    url.searchParams.set("nonce", input.nonce);
    url.searchParams.set("code_challenge", await s256(input.codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
    return url.href;
  }

  /** The code from the IdP's redirect, exchanged for tokens (client secret when configured). */
  async exchangeCode(input: {
    code: string;
    codeVerifier: string;
    redirectUri: string;
  }): Promise<UpstreamTokens> {
    const { settings } = this.#deps;
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      code: input.code,
      redirect_uri: input.redirectUri,
      code_verifier: input.codeVerifier,
      client_id: settings.clientId,
    });
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if (settings.clientSecret) {
      headers.authorization = `Basic ${btoa(`${formEncode(settings.clientId)}:${formEncode(settings.clientSecret)}`)}`;
    }
    const response = await this.#fetch((await this.endpoints()).token_endpoint, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof answer.id_token !== "string") {
      throw new OidcError(
        "The identity provider refused the sign-in",
        `token endpoint ${response.status} ${String(answer.error ?? "")}`,
      );
    }
    return {
      idToken: answer.id_token,
      accessToken: typeof answer.access_token === "string" ? answer.access_token : null,
    };
  }

  /** The person behind verified tokens: ID token (signature, issuer, audience, nonce), then userinfo. */
  async identify(
    tokens: UpstreamTokens,
    nonce: string,
  ): Promise<{ principal: Principal; claims: JWTPayload }> {
    const issuerConfig = this.#issuerConfig();
    const endpoints = await this.endpoints();
    const source = {
      issuer: this.issuer,
      jwksUri: issuerConfig.jwksUri ?? endpoints.jwks_uri,
      maxAgeMs: issuerConfig.jwksMaxAgeSeconds * 1000,
      cooldownMs: issuerConfig.jwksCooldownSeconds * 1000,
    };
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(
        tokens.idToken,
        (header) => this.#deps.jwks.keyFor(source, header),
        {
          issuer: this.issuer,
          audience: this.#deps.settings.clientId,
          algorithms: issuerConfig.algorithms,
          clockTolerance: issuerConfig.clockSkewSeconds,
          requiredClaims: ["sub", "exp", "iat"],
        },
      ));
    } catch (error) {
      throw new OidcError("The identity provider's answer could not be verified", String(error));
    }
    if (claims.nonce !== nonce) throw new OidcError("The sign-in could not be verified", "nonce mismatch");
    if (tokens.accessToken && endpoints.userinfo_endpoint) {
      const info = await this.#userinfo(endpoints.userinfo_endpoint, tokens.accessToken);
      // Userinfo adds claims (groups often live only there) but never changes who it is.
      if (info && info.sub === claims.sub) claims = { ...info, ...claims };
    }
    const principal = principalFromClaims(issuerConfig, claims);
    // A person signed in interactively: never a machine, whatever the claims suggest.
    principal.kind = "user";
    const name = stringClaim(claims, issuerConfig.usernameClaim) ?? stringClaim(claims, "email");
    if (name) principal.name = name;
    else delete principal.name;
    return { principal, claims };
  }

  /** RP-initiated logout at the IdP, when it offers it. */
  async endSessionUrl(input: {
    idTokenHint?: string;
    postLogoutRedirectUri: string;
  }): Promise<string | null> {
    const endpoint = (await this.endpoints()).end_session_endpoint;
    if (!endpoint) return null;
    const url = new URL(endpoint);
    url.searchParams.set("client_id", this.#deps.settings.clientId);
    url.searchParams.set("post_logout_redirect_uri", input.postLogoutRedirectUri);
    if (input.idTokenHint) url.searchParams.set("id_token_hint", input.idTokenHint);
    return url.href;
  }

  #issuerConfig(): IssuerConfig {
    if (this.#deps.issuerConfig) return this.#deps.issuerConfig;
    const preset = PRESETS.generic;
    return {
      preset: "generic",
      issuer: this.issuer,
      jwksUri: null,
      audiences: null,
      audienceClaim: "aud",
      algorithms: DEFAULT_ALGORITHMS,
      groupsClaim: preset.groupsClaim,
      usernameClaim: preset.usernameClaim,
      displayName: preset.displayName,
      tenant: "default",
      tenantClaim: null,
      clockSkewSeconds: DEFAULT_CLOCK_SKEW_SECONDS,
      jwksMaxAgeSeconds: DEFAULT_JWKS_MAX_AGE_SECONDS,
      jwksCooldownSeconds: DEFAULT_JWKS_COOLDOWN_SECONDS,
    };
  }

  async #userinfo(endpoint: string, accessToken: string): Promise<JWTPayload | null> {
    const response = await this.#fetch(endpoint, {
      headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) return null;
    const type = response.headers.get("content-type") ?? "";
    // A signed userinfo (application/jwt) is not trusted without verification: skip it.
    if (!type.includes("json")) return null;
    return (await response.json()) as JWTPayload;
  }

  async #get(url: string): Promise<Response> {
    let response: Response;
    try {
      response = await this.#fetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (error) {
      throw new OidcError("The identity provider cannot be reached", String(error));
    }
    if (!response.ok)
      throw new OidcError("The identity provider cannot be reached", `${url}: ${response.status}`);
    return response;
  }
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** RFC 6749 §2.3.1: client credentials are form-encoded before Basic encoding. */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

/** PKCE S256 code challenge (RFC 7636). */
export function s256(verifier: string): Promise<string> {
  return sha256Key(verifier);
}

/** base64url of SHA-256: how KV keys name secrets (handles, states, cookie values) without storing them. */
export async function sha256Key(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return base64url(new Uint8Array(digest));
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A random URL-safe string of `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}
