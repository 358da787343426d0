// Secrets for local runs (Node-only): a random development admin password,
// an ES256 signing key for the gateway's own tokens, a session-sealing key, plus the development
// login call that turns the password into a bearer token. Used by npm start,
// the e2e tests and the benchmarks.
import { generateKeyPairSync, randomBytes } from "node:crypto";

export const DEV_ADMIN_USERNAME = "admin";

/** 32 random bytes, base64url: safe in .dev.vars (no quotes, `#` or `$`). */
export function newPassword(): string {
  return randomBytes(32).toString("base64url");
}

/** A private ES256 (P-256) JWK as JSON, with a kid naming when it was made. */
export function newSigningKey(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `local-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString("hex")}`;
  return JSON.stringify({ ...privateKey.export({ format: "jwk" }), kid });
}

export interface DevSecrets {
  DEV_ADMIN_USERNAME: string;
  DEV_ADMIN_PASSWORD: string;
  TOKEN_SIGNING_KEY: string;
  /** HMAC key that seals MCP session ids to their caller. */
  SESSION_SECRET: string;
  /** Master key of per-user upstream credentials at rest (AES-GCM keys derived per tenant). */
  CREDENTIAL_ENCRYPTION_KEY: string;
}

export function newDevSecrets(): DevSecrets {
  return {
    DEV_ADMIN_USERNAME,
    DEV_ADMIN_PASSWORD: newPassword(),
    TOKEN_SIGNING_KEY: newSigningKey(),
    SESSION_SECRET: newPassword(),
    CREDENTIAL_ENCRYPTION_KEY: newPassword(),
  };
}

/** POST /api/v1/auth/dev-login: the development admin's bearer token. */
export async function devLogin(gatewayUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/api/v1/auth/dev-login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`dev login answered ${response.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}
