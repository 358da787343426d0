// The identity settings: AUTH_ISSUERS with presets, signing keys, dev mode
// and PUBLIC_URL, each failing with a message that names the setting.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuthIssuersSetting } from "../../worker/auth/issuers.ts";
import { loadConfig } from "../../worker/env.ts";

function config(overrides: Record<string, string | undefined>) {
  return loadConfig({ ...env, ...overrides } as unknown as Env);
}

function issuersError(value: unknown): string {
  const result = AuthIssuersSetting.safeParse(JSON.stringify(value));
  if (result.success) throw new Error("expected AUTH_ISSUERS to be refused");
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
}

describe("AUTH_ISSUERS", () => {
  it("fills preset defaults and keeps explicit settings", () => {
    const [cognito, generic] = AuthIssuersSetting.parse(
      JSON.stringify([
        {
          preset: "cognito",
          issuer: "https://cognito-idp.us-east-1.amazonaws.com/pool",
          audiences: ["client"],
        },
        { issuer: "https://idp.example", groupsClaim: "realm_access.roles", algorithms: ["ES384"] },
      ]),
    );
    expect(cognito).toMatchObject({
      displayName: "Amazon Cognito",
      groupsClaim: "cognito:groups",
      usernameClaim: "username",
      audienceClaim: "client_id",
      audiences: ["client"],
      algorithms: ["RS256", "ES256"],
      clockSkewSeconds: 30,
      jwksUri: null,
    });
    expect(generic).toMatchObject({
      groupsClaim: "realm_access.roles",
      algorithms: ["ES384"],
      audiences: null,
    });
  });

  it("defaults to no issuers", () => {
    expect(AuthIssuersSetting.parse(undefined)).toEqual([]);
  });

  it("never allows HMAC or none", () => {
    expect(issuersError([{ issuer: "https://idp.example", algorithms: ["HS256"] }])).toMatch(
      /^0\.algorithms\.0/,
    );
    expect(issuersError([{ issuer: "https://idp.example", algorithms: ["none"] }])).toMatch(
      /^0\.algorithms\.0/,
    );
  });

  it("caps the clock skew at 60 s", () => {
    expect(issuersError([{ issuer: "https://idp.example", clockSkewSeconds: 61 }])).toMatch(
      /clockSkewSeconds/,
    );
  });

  it("requires https except on loopback", () => {
    expect(issuersError([{ issuer: "http://idp.example" }])).toMatch(/issuer must use https/);
    expect(AuthIssuersSetting.parse(JSON.stringify([{ issuer: "http://127.0.0.1:8080" }]))).toHaveLength(1);
  });

  it("refuses unknown fields, unknown presets, duplicates and non-JSON", () => {
    expect(issuersError([{ issuer: "https://idp.example", groupClaim: "groups" }])).toMatch(/groupClaim/);
    expect(issuersError([{ issuer: "https://idp.example", preset: "ping" }])).toMatch(/preset/);
    expect(issuersError([{ issuer: "https://idp.example" }, { issuer: "https://idp.example" }])).toMatch(
      /once/,
    );
    expect(AuthIssuersSetting.safeParse("[{").success).toBe(false);
  });

  it("names the setting when the gateway loads it", () => {
    expect(() => config({ AUTH_ISSUERS: '[{"issuer": "ftp://x"}]' })).toThrow(/AUTH_ISSUERS/);
  });
});

describe("signing keys, dev mode, public URL", () => {
  it("accepts an ES256 private JWK and refuses anything else", () => {
    expect(config({}).auth.signingKey).toMatchObject({ kty: "EC", crv: "P-256", kid: "test-current" });
    expect(() => config({ TOKEN_SIGNING_KEY: '{"kty":"RSA","n":"x","e":"AQAB"}' })).toThrow(
      /TOKEN_SIGNING_KEY/,
    );
    const publicOnly = JSON.stringify({ ...JSON.parse(env.TOKEN_SIGNING_KEY ?? "{}"), d: undefined });
    expect(() => config({ TOKEN_SIGNING_KEY: publicOnly })).toThrow(/TOKEN_SIGNING_KEY.*private/);
    expect(() => config({ TOKEN_SIGNING_KEY: "not json" })).toThrow(/TOKEN_SIGNING_KEY: must be a JWK/);
    expect(config({ TOKEN_SIGNING_KEY: "" }).auth.signingKey).toBeNull();
  });

  it("enables the dev login only with DEV_MODE and both secrets", () => {
    expect(config({}).auth.devLogin).toEqual({
      username: env.DEV_ADMIN_USERNAME,
      password: env.DEV_ADMIN_PASSWORD,
    });
    expect(config({ DEV_MODE: "false" }).auth.devLogin).toBeNull();
    expect(config({ DEV_ADMIN_PASSWORD: undefined }).auth.devLogin).toBeNull();
    expect(() => config({ DEV_ADMIN_PASSWORD: "short" })).toThrow(/DEV_ADMIN_PASSWORD/);
  });

  it("requires PUBLIC_URL in production and keeps only its origin", () => {
    expect(() => config({ ENVIRONMENT: "production", DEV_MODE: "false", PUBLIC_URL: undefined })).toThrow(
      /PUBLIC_URL: is required in production/,
    );
    const production = config({
      ENVIRONMENT: "production",
      DEV_MODE: "false",
      PUBLIC_URL: "https://mcp.example.com/",
    });
    expect(production.publicUrl).toBe("https://mcp.example.com");
    expect(() => config({ PUBLIC_URL: "https://mcp.example.com/base" })).toThrow(/PUBLIC_URL/);
  });
});
