// What authenticating one request costs once the issuer's keys are cached.
// Run: `npm run bench:auth` (Node; not a test). In one process it measures
//  - baselines: a bare jose `jwtVerify` with an imported key, and a request
//    through a Hono app with no authentication;
//  - the gateway's path (bearer parsing, issuer lookup, algorithm allowlist,
//    JWKS cache, jose verification, claims -> Principal) in the same Hono app,
//    for RS256 and ES256 tokens of a real OIDC provider (oauth2-mock-server on
//    loopback) and for a gateway-vended ES256 token (revocation lookup cached).
// and prints the median and p99 of each, and the median overhead over the
// no-auth request.
import { Hono } from "hono";
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from "jose";
import { OAuth2Server } from "oauth2-mock-server";
import { newSigningKey } from "../scripts/dev-secrets.ts";
import { Authenticator } from "../worker/auth/authenticator.ts";
import { AuthIssuersSetting } from "../worker/auth/issuers.ts";
import { JwksCache } from "../worker/auth/jwks-cache.ts";
import type { Principal } from "../worker/auth/principal.ts";
import { PreviousSigningKeySetting, signingKeys } from "../worker/auth/signing-keys.ts";
import { TokenService } from "../worker/auth/token-service.ts";
import type { AuthSettings } from "../worker/env.ts";
import type { TokenStore, VendedTokenRecord } from "../worker/store/token-store.ts";

const WARMUP = 1_000;
const ITERATIONS = Number(process.env.ITERATIONS ?? 20_000);
const ROUNDS = 20;
const BASE = "http://gateway.bench";

/** Tokens live in memory here: the bench measures verification, not D1. */
class MemoryTokenStore implements TokenStore {
  readonly rows = new Map<string, VendedTokenRecord>();
  async insertToken(record: VendedTokenRecord) {
    this.rows.set(record.id, record);
  }
  async getToken(tenant: string, id: string) {
    const row = this.rows.get(id);
    return row && row.tenant === tenant ? row : null;
  }
  async listTokens() {
    return [...this.rows.values()];
  }
  async revokeToken() {
    return null;
  }
  async countTokensSince() {
    return 0;
  }
}

interface Stats {
  median: number;
  p99: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

/**
 * Runs every scenario in turns (ROUNDS rounds of ITERATIONS / ROUNDS each), so
 * drift in machine load spreads over all of them instead of biasing one.
 */
async function measureAll(scenarios: [string, () => Promise<unknown>][]): Promise<Map<string, Stats>> {
  const samples = new Map<string, number[]>(scenarios.map(([name]) => [name, []]));
  for (const [, run] of scenarios) for (let i = 0; i < WARMUP; i++) await run();
  const perRound = Math.ceil(ITERATIONS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of scenarios) {
      const into = samples.get(name) ?? [];
      for (let i = 0; i < perRound; i++) {
        const start = performance.now();
        await run();
        into.push(performance.now() - start);
      }
    }
  }
  return new Map([...samples].map(([name, values]) => [name, stats(values)]));
}

async function main(): Promise<void> {
  const idp = new OAuth2Server();
  await idp.issuer.keys.generate("RS256", { kid: "rs" });
  await idp.issuer.keys.generate("ES256", { kid: "es" });
  await idp.start(0, "127.0.0.1");
  try {
    const issuer = idp.issuer.url ?? "";
    const claims = (payload: Record<string, unknown>) =>
      Object.assign(payload, { sub: "alice", aud: BASE, groups: ["mcp-registry-admin"], scope: "a b" });
    const rsToken = await idp.issuer.buildToken({ kid: "rs", scopesOrTransform: (_h, p) => claims(p) });
    const esToken = await idp.issuer.buildToken({ kid: "es", scopesOrTransform: (_h, p) => claims(p) });

    const signingKey = PreviousSigningKeySetting.parse(newSigningKey());
    const settings: AuthSettings = {
      issuers: AuthIssuersSetting.parse(JSON.stringify([{ issuer }])),
      maxTokenBytes: 8192,
      signingKey,
      previousSigningKey: null,
      tokenMaxLifetimeSeconds: 86_400,
      tokenMintsPerMinute: 1_000,
      devLogin: null,
    };
    const keys = () => signingKeys(signingKey, null);
    const tokens = new TokenService({
      store: new MemoryTokenStore(),
      keys,
      maxLifetimeSeconds: 86_400,
      mintsPerMinute: 1_000,
    });
    const authenticator = new Authenticator({
      settings,
      publicUrl: BASE,
      jwks: new JwksCache(),
      tokens,
      keys,
    });
    const owner: Principal = {
      subject: "alice",
      issuer,
      tenant: "default",
      groups: [],
      scopes: ["a"],
      kind: "user",
    };
    const pat = (await tokens.mint(owner, { name: "bench", scopes: ["a"] }, ["a"], BASE)).token;

    // The same app with and without the authentication step (a copy of what
    // worker/auth/authenticate.ts does, minus the service lookup).
    const app = new Hono();
    app.get("/open", (c) => c.json({ ok: true }));
    app.get("/auth", async (c) => {
      const match = /^Bearer +([\x21-\x7e]+)$/i.exec(c.req.header("authorization") ?? "");
      if (!match?.[1]) return c.json({ error: "unauthorized" }, 401);
      const principal = await authenticator.authenticate(match[1], c.req.url);
      return c.json({ ok: true, subject: principal.subject });
    });
    const request = async (path: string, token?: string) =>
      app.fetch(
        new Request(`${BASE}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      );

    // Correctness first: every path must succeed, or the numbers mean nothing.
    for (const token of [rsToken, esToken, pat]) {
      const response = await request("/auth", token);
      if (response.status !== 200) throw new Error(`bench setup: /auth answered ${response.status}`);
    }

    const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: JWK[] };
    const bareKey = async (token: string) => {
      const { kid } = decodeProtectedHeader(token);
      const jwk = jwks.keys.find((key) => key.kid === kid);
      if (!jwk) throw new Error("no key");
      return importJWK(jwk, jwk.alg);
    };
    const [rsKey, esKey] = await Promise.all([bareKey(rsToken), bareKey(esToken)]);
    const options = { issuer, audience: BASE };

    const scenarios: [string, () => Promise<unknown>][] = [
      ["jose jwtVerify, RS256, imported key", () => jwtVerify(rsToken, rsKey, options)],
      ["jose jwtVerify, ES256, imported key", () => jwtVerify(esToken, esKey, options)],
      ["Hono request, no auth (baseline)", () => request("/open")],
      ["Hono request, IdP RS256 token", () => request("/auth", rsToken)],
      ["Hono request, IdP ES256 token", () => request("/auth", esToken)],
      ["Hono request, gateway ES256 PAT", () => request("/auth", pat)],
    ];
    const measured = await measureAll(scenarios);
    const results = [...measured];
    const median = (name: string) => measured.get(name)?.median ?? Number.NaN;
    const open = { median: median("Hono request, no auth (baseline)") };
    const rs = { median: median("Hono request, IdP RS256 token") };
    const es = { median: median("Hono request, IdP ES256 token") };
    const vended = { median: median("Hono request, gateway ES256 PAT") };

    const us = (ms: number) => `${(ms * 1000).toFixed(1).padStart(8)} µs`;
    console.log(
      `\nAuthenticating one request with a cached key (Node ${process.version}, ${ITERATIONS} runs each)\n`,
    );
    console.log(`${"".padEnd(40)}${"median".padStart(11)}${"p99".padStart(11)}${"mean".padStart(11)}`);
    for (const [name, s] of results)
      console.log(`${name.padEnd(40)}${us(s.median)}${us(s.p99)}${us(s.mean)}`);
    console.log("\nMedian cost of authentication over the no-auth request:");
    console.log(`  IdP RS256      ${us(rs.median - open.median)}`);
    console.log(`  IdP ES256      ${us(es.median - open.median)}`);
    console.log(`  gateway PAT    ${us(vended.median - open.median)}`);
  } finally {
    await idp.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
