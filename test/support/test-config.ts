// Secrets and vars for the workers test project, made when vitest loads its
// configuration (Node): fresh ES256 signing keys for every run, development
// login credentials, and AUTH_ISSUERS pointing at the loopback IdPs that
// test/support/idp.ts starts.
import { exportJWK, generateKeyPair } from "jose";
import { TEST_PUBLIC_URL, type TestIdp, testIssuers } from "./idp-shared.ts";

export const TEST_DEV_ADMIN = { username: "admin", password: "test-dev-password-0123456789" };

async function signingKeyJson(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid });
}

export const TEST_SCRAPE_TOKEN = "test-scrape-token-0123456789abcdef";

export async function testBindings(idp: TestIdp): Promise<Record<string, string>> {
  return {
    PUBLIC_URL: TEST_PUBLIC_URL,
    AUTH_ISSUERS: JSON.stringify(testIssuers(idp)),
    TOKEN_SIGNING_KEY: await signingKeyJson("test-current"),
    // A private key here too, so tests can sign as the previous key did.
    TOKEN_SIGNING_KEY_PREVIOUS: await signingKeyJson("test-previous"),
    DEV_ADMIN_USERNAME: TEST_DEV_ADMIN.username,
    DEV_ADMIN_PASSWORD: TEST_DEV_ADMIN.password,
    SESSION_SECRET: "test-session-secret-0123456789abcdef0123456789",
    // An egress secret the probe upstream can echo back (proxy tests).
    PROBE_EGRESS_TOKEN: "probe-egress-secret-value",
    // Prometheus' bearer token for GET /metrics (observability tests).
    METRICS_SCRAPE_TOKEN: TEST_SCRAPE_TOKEN,
    // One tenant blocks registrations the security scan flags (security-findings test).
    SECURITY_SCAN_TENANTS: JSON.stringify({ "scan-block": { action: "block", threshold: "high" } }),
  };
}
