// What the dashboard needs from the REST API beyond the registry itself: CORS
// for the origins in ALLOWED_ORIGINS only (a dashboard on Cloudflare Pages),
// the sign-in methods, and the registry actions a caller holds (so the UI
// shows only the buttons its user may press).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { api, BASE, devAdminToken } from "../support/api.ts";
import { idpToken } from "../support/tokens.ts";

const DASHBOARD = "https://dashboard.example.com";

/** The same Worker with ALLOWED_ORIGINS naming the dashboard (config is cached per bindings object). */
async function withDashboardOrigin(request: Request): Promise<Response> {
  const bindings = { ...env, ALLOWED_ORIGINS: `${DASHBOARD}, https://other.example` } as Env;
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  return worker.fetch(request, bindings, ctx);
}

describe("CORS on /api/v1", () => {
  it("answers a preflight from an allowed origin without a token", async () => {
    const response = await withDashboardOrigin(
      new Request(`${BASE}/api/v1/servers`, {
        method: "OPTIONS",
        headers: {
          origin: DASHBOARD,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(response.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("refuses a preflight from any other origin, including near misses", async () => {
    for (const origin of [
      "https://evil.example",
      `${DASHBOARD}.evil.example`,
      "http://dashboard.example.com",
    ]) {
      const response = await withDashboardOrigin(
        new Request(`${BASE}/api/v1/servers`, {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "GET" },
        }),
      );
      expect(response.status, origin).toBe(403);
      expect(response.headers.get("access-control-allow-origin"), origin).toBeNull();
    }
  });

  it("lets an allowed origin read answers and refusals, and no one else", async () => {
    const token = await devAdminToken();
    const ok = await withDashboardOrigin(
      new Request(`${BASE}/api/v1/auth/whoami`, {
        headers: { origin: DASHBOARD, authorization: `Bearer ${token}` },
      }),
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(ok.headers.get("access-control-expose-headers")).toContain("etag");
    expect(ok.headers.get("vary")).toContain("origin");

    const refused = await withDashboardOrigin(
      new Request(`${BASE}/api/v1/servers`, { headers: { origin: DASHBOARD } }),
    );
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(DASHBOARD);

    const stranger = await withDashboardOrigin(
      new Request(`${BASE}/api/v1/auth/whoami`, {
        headers: { origin: "https://evil.example", authorization: `Bearer ${token}` },
      }),
    );
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("sends no CORS headers when ALLOWED_ORIGINS is empty", async () => {
    const response = await api("/api/v1/auth/whoami", { headers: { origin: DASHBOARD } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("sign-in methods", () => {
  it("lists the development login and the identity providers without a credential", async () => {
    const response = await api("/api/v1/auth/methods", { headers: { authorization: "" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      devLogin: boolean;
      identityProviders: { issuer: string; displayName: string }[];
    };
    expect(body.devLogin).toBe(true);
    expect(body.identityProviders.length).toBeGreaterThan(0);
    for (const provider of body.identityProviders) {
      expect(provider.issuer).toMatch(/^https?:\/\//);
      expect(provider.displayName).not.toBe("");
    }
  });
});

describe("whoami permissions", () => {
  interface Permissions {
    [action: string]: { all: boolean; names: string[] };
  }

  it("names every registry action; the admin holds them all", async () => {
    const response = await api("/api/v1/auth/whoami");
    const body = (await response.json()) as { permissions: Permissions };
    expect(body.permissions.register_service).toEqual({ all: true, names: [] });
    expect(body.permissions.manage_scopes).toEqual({ all: true, names: [] });
  });

  it("shows a narrow principal only its named servers", async () => {
    const token = await idpToken({ claims: { groups: ["lob-finance-bot"] } });
    const response = await api("/api/v1/auth/whoami", { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const { permissions } = (await response.json()) as { permissions: Permissions };
    expect(permissions.list_service).toEqual({ all: false, names: ["fininfo", "ledger"] });
    expect(permissions.toggle_service).toEqual({ all: false, names: ["ledger"] });
    expect(permissions.register_service).toEqual({ all: false, names: [] });
    expect(permissions.manage_scopes).toEqual({ all: false, names: [] });
  });
});
