// The root app's router (http/endpoint-router.ts): the MCP endpoints matched
// by a RegExpRouter lane, everything else by a TrieRouter, with the same
// answer Hono's TrieRouter gives for every route of the real app (same
// handlers in the same order, same parameters), so middleware order and the
// 404/405 answers cannot change.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Result } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../worker/app.ts";
import { EndpointRouter } from "../../worker/http/endpoint-router.ts";

/** Handlers in order, each with its parameters resolved (RegExpRouter answers hold indexes into a stash). */
function resolved(result: Result<unknown>): [unknown, Record<string, string>][] {
  const [handlers, stash] = result as [[unknown, Record<string, string | number>][], string[] | undefined];
  return handlers.map(([handler, params]) => [
    handler,
    Object.fromEntries(
      Object.entries(params).map(([name, value]) => [
        name,
        stash ? (stash[value as number] as string) : String(value),
      ]),
    ),
  ]);
}

const METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"];
const PATHS = [
  "/mcp",
  "/mcp/",
  "/mcp/mcp",
  "/demo/mcp",
  "/demo/sse",
  "/demo/message",
  "/demo/mcp/",
  "/demo/other",
  "/demo//mcp",
  "//mcp",
  "/demo",
  "/",
  "/v/mcp",
  "/v/x/mcp",
  "/v/x/sse",
  "/v/x/message",
  "/v/x/other",
  "/v/x/y/mcp",
  "/v//mcp",
  "/.well-known/mcp",
  "/.well-known/oauth-protected-resource/demo/mcp",
  "/.well-known/oauth-protected-resource/v/x/mcp",
  "/.well-known/oauth-authorization-server",
  "/oauth/mcp",
  "/oauth/token",
  "/api/mcp",
  "/api/v1/servers",
  "/api/v1/servers/abc/tools",
  "/health",
  "/health/mcp",
  "/metrics/sse",
  "/agents/x/.well-known/agent-card.json",
  "/v0/servers",
  "/v0.1/servers/a/versions",
  "/v0/mcp",
  "/a b/mcp",
];

describe("EndpointRouter in the real app", () => {
  const app = buildApp();
  const reference = new TrieRouter<unknown>();
  for (const route of app.routes) reference.add(route.method, route.path, [route.handler, route]);

  it("answers every probe exactly as Hono's TrieRouter (handlers, order, parameters)", () => {
    for (const path of PATHS) {
      for (const method of METHODS) {
        expect(resolved(app.router.match(method, path)), `${method} ${path}`).toEqual(
          resolved(reference.match(method, path)),
        );
      }
    }
  });

  it("matches the MCP endpoints in a lane, and shadowed or other paths in the TrieRouter", () => {
    expect(app.router).toBeInstanceOf(EndpointRouter);
    const router = app.router as EndpointRouter<unknown>;
    for (const path of ["/mcp", "/demo/mcp", "/demo/sse", "/demo/message", "/v/x/mcp", "/v/mcp"]) {
      expect(router.inLane(path), path).toBe(true);
      // A RegExpRouter's answer carries its parameter stash.
      expect(app.router.match("POST", path), path).toHaveLength(2);
    }
    for (const path of [
      "/.well-known/mcp",
      "/oauth/mcp",
      "/api/mcp",
      "/health/mcp",
      "/demo//mcp",
      "/demo/mcp/",
    ]) {
      expect(router.inLane(path), path).toBe(false);
    }
  });

  it("gives the same responses as an app on Hono's TrieRouter (401 before 404, 404, 405, well-known)", async () => {
    const plain = buildApp({ router: new TrieRouter() });
    const requests: [string, string][] = [
      ["PUT", "/demo/mcp"],
      ["POST", "/demo/mcp"],
      ["GET", "/demo/mcp/"],
      ["PATCH", "/mcp"],
      ["GET", "/v/x/other"],
      ["GET", "/.well-known/mcp"],
      ["GET", "/.well-known/oauth-protected-resource/mcp"],
    ];
    for (const [method, path] of requests) {
      const answers = [];
      for (const candidate of [app, plain]) {
        const ctx = createExecutionContext();
        const response = await candidate.fetch(
          new Request(`https://gw.example${path}`, { method }),
          env,
          ctx,
        );
        await waitOnExecutionContext(ctx);
        const body = (await response.text()).replace(/[0-9a-f-]{36}/g, "<id>");
        answers.push({ status: response.status, type: response.headers.get("content-type"), body });
      }
      expect(answers[0], `${method} ${path}`).toEqual(answers[1]);
    }
  });
});

describe("EndpointRouter's lanes", () => {
  it("are left for the TrieRouter when a route outside them shares a request's first segment", () => {
    const router = new EndpointRouter<string>();
    router.add("ALL", "/*", "global");
    router.add("ALL", "/oauth/*", "oauth");
    router.add("POST", "/:path/mcp", "server");
    expect(router.inLane("/demo/mcp")).toBe(true);
    expect(router.inLane("/oauth/mcp")).toBe(false);
    expect(resolved(router.match("POST", "/oauth/mcp")).map(([handler]) => handler)).toEqual([
      "global",
      "oauth",
      "server",
    ]);
  });

  it("are turned off by a route whose first segment is a parameter", () => {
    const router = new EndpointRouter<string>();
    router.add("POST", "/:path/mcp", "server");
    router.add("GET", "/:path/mcp/extra", "other");
    expect(router.inLane("/demo/mcp")).toBe(false);
    expect(resolved(router.match("POST", "/demo/mcp"))).toEqual([["server", { path: "demo" }]]);
  });
});
