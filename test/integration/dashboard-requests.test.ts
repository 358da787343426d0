// The dashboard is a Worker of its own (static assets, dashboard/wrangler.toml)
// behind the gateway's DASHBOARD service binding: every GET or HEAD outside
// the gateway's namespaces goes there (its files, and index.html for the
// SPA's routes), everything else stays the gateway's, whose own 404s stay
// JSON. Here the binding reaches a real assets Worker over a fixture folder
// (test/fixtures/dashboard); the browser tests load the real build the same
// way under wrangler dev.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GATEWAY_PATHS, isDashboardRequest } from "../../worker/http/dashboard-requests.ts";
import worker from "../../worker/index.ts";
import { BASE, devAdminToken } from "../support/api.ts";

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

async function send(path: string, init?: RequestInit): Promise<Response> {
  return await worker.fetch(new Request(`${BASE}${path}`, init), env, ctx);
}

describe("the dashboard's requests", () => {
  it.each(["/", "/servers", "/servers/abc/tools", "/index.html"])(
    "GET %s is the dashboard's index.html (the SPA routes itself)",
    async (path) => {
      const response = await send(path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await response.text()).toContain('data-fixture="dashboard-index"');
    },
  );

  it("GET of one of its files is that file, with its type", async () => {
    const response = await send("/assets/app.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect(await response.text()).toContain("dashboard fixture");
  });

  it("HEAD is the dashboard's too, without a body", async () => {
    const response = await send("/servers", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toBe("");
  });
});

describe("the gateway's requests never reach the dashboard", () => {
  it("an unknown API path is the gateway's JSON 404, not index.html", async () => {
    const response = await send("/api/v1/no-such-thing", {
      headers: { authorization: `Bearer ${await devAdminToken()}` },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/json/);
  });

  it("GET /health, the MCP endpoints and the well-known documents are answered by the gateway", async () => {
    expect(await (await send("/health")).json()).toEqual({ status: "ok" });
    // No token: the gateway's own 401 with its challenge, on each MCP endpoint.
    for (const path of ["/mcp", "/some-server/mcp", "/some-server/sse"]) {
      const response = await send(path, { headers: { accept: "text/event-stream" } });
      expect(response.status, path).toBe(401);
      expect(response.headers.get("www-authenticate"), path).toContain("Bearer");
    }
    const resource = await send("/.well-known/oauth-protected-resource");
    expect(resource.headers.get("content-type")).toMatch(/json/);
  });

  it("a POST outside the gateway's namespaces is the gateway's 404, not the dashboard's page", async () => {
    const response = await send("/servers", { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("dashboard-index");
  });
});

describe("isDashboardRequest", () => {
  // Each namespace with its wildcards filled in, nested paths included.
  const gatewayPaths = GATEWAY_PATHS.flatMap((pattern) => [
    pattern.replaceAll("*", "x"),
    pattern.replaceAll("*", "a/b"),
  ]);

  it.each(gatewayPaths)("GET %s is the gateway's", (path) => {
    expect(isDashboardRequest(new Request(`${BASE}${path}?q=1`))).toBe(false);
  });

  it.each(["/", "/servers", "/assets/index-abc.js", "/api", "/mcpx", "/demo/mcp/extra", "/healthz"])(
    "GET %s is the dashboard's",
    (path) => {
      expect(isDashboardRequest(new Request(`${BASE}${path}`))).toBe(true);
      expect(isDashboardRequest(new Request(`${BASE}${path}`, { method: "HEAD" }))).toBe(true);
    },
  );

  it.each(["POST", "PUT", "DELETE", "OPTIONS"])("%s is never the dashboard's", (method) => {
    expect(isDashboardRequest(new Request(`${BASE}/servers`, { method }))).toBe(false);
  });

  it("reads the path as the router does, percent-decoded", () => {
    expect(isDashboardRequest(new Request(`${BASE}/%61pi/v1/servers`))).toBe(false);
    expect(isDashboardRequest(new Request(`${BASE}/demo/%6Dcp`))).toBe(false);
  });

  it("reads the path only, not the query or the fragment", () => {
    expect(isDashboardRequest(new Request(`${BASE}/servers?next=/api/x`))).toBe(true);
    expect(isDashboardRequest(new Request(`${BASE}/api/v1/servers?view=/servers`))).toBe(false);
  });
});
