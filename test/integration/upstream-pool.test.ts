// The isolate's upstream session pool on the aggregated endpoint, inside
// workerd: stateless 2026-07-28 callers of /mcp reach a session-based
// upstream (the probe server on loopback, which counts its initialize
// requests) without a new upstream session per call; a session the upstream
// forgot is replaced transparently; callers never share a pooled session.

import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { tenantCatalogsOf } from "../../worker/registry/tenant-catalogs.ts";
import { getServices } from "../../worker/services.ts";
import { credentialKey, NO_CREDENTIAL, UpstreamSessionPool } from "../../worker/upstream/upstream-pool.ts";
import { api, BASE, uniquePath } from "../support/api.ts";
import { messagesOf, postMcp } from "../support/mcp-http.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const PROBE = upstreams.poolProbeUrl;
let path: string;
let serverId: string;
let alice: Principal;
let bob: Principal;

beforeAll(async () => {
  path = uniquePath("pool");
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: {
      name: path,
      path,
      endpoints: [{ url: `${PROBE}/mcp` }],
      egress: { type: "bearer", secret: "PROBE_EGRESS_TOKEN" },
    },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  serverId = ((await response.json()) as { id: string }).id;
  // Two distinct callers with the same (admin) rights.
  alice = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
  bob = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
});

/** The request envelope of a stateless 2026-07-28 client. */
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "pool-test", version: "1" },
};

interface Stats {
  requests: number;
  initializes: number;
}

async function stats(): Promise<Stats> {
  return (await (await fetch(`${PROBE}/stats`)).json()) as Stats;
}

/** One stateless 2026-07-28 tools/call through /mcp; returns the tool's text. */
async function call(who: Principal, tool: string): Promise<string> {
  const reply = await callReply(who, tool);
  expect(reply?.error).toBeUndefined();
  return reply?.result?.content?.[0]?.text ?? "";
}

async function callReply(who: Principal, tool: string) {
  const name = `${path}__${tool}`;
  const response = await postMcp(
    `${BASE}/mcp`,
    {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name,
        arguments: {},
        _meta: ENVELOPE,
      },
    },
    {
      token: tokenFor(who),
      headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name },
    },
  );
  expect(response.status).toBe(200);
  const [reply] = await messagesOf(response);
  return reply;
}

/** The upstream session id the probe saw on an echo_headers call. */
async function upstreamSessionOf(who: Principal): Promise<string> {
  const headers = JSON.parse(await call(who, "echo_headers")) as Record<string, string>;
  expect(headers.authorization).toBe("Bearer probe-egress-secret-value");
  return headers["mcp-session-id"] ?? "";
}

describe("upstream session pool (stateless /mcp)", () => {
  it("initializes a session-based upstream once; later calls only send the call", async () => {
    await call(alice, "public_info");
    const before = await stats();
    await call(alice, "public_info");
    await call(alice, "public_info");
    const after = await stats();
    expect(after.initializes - before.initializes).toBe(0);
    // Two calls, two POSTs: no initialize, no initialized notification.
    expect(after.requests - before.requests).toBe(2);
    expect(getServices(env).upstreamPool.size).toBeGreaterThan(0);
  });

  it("reuses one upstream session for a caller's calls", async () => {
    const first = await upstreamSessionOf(alice);
    expect(first).not.toBe("");
    expect(await upstreamSessionOf(alice)).toBe(first);
  });

  it("replaces a pooled session the upstream forgot (404), without failing the call", async () => {
    const old = await upstreamSessionOf(alice);
    await fetch(`${PROBE}/forget-sessions`, { method: "POST" });
    const before = await stats();
    const replaced = await upstreamSessionOf(alice);
    const after = await stats();
    expect(replaced).not.toBe(old);
    // The refused call (404), initialize, initialized, the call again.
    expect(after.initializes - before.initializes).toBe(1);
    expect(await upstreamSessionOf(alice)).toBe(replaced);
    expect((await stats()).initializes).toBe(after.initializes);
  });

  it("never lends one caller's upstream session to another caller", async () => {
    const alices = await upstreamSessionOf(alice);
    const before = await stats();
    const bobs = await upstreamSessionOf(bob);
    expect(bobs).not.toBe(alices);
    expect((await stats()).initializes - before.initializes).toBe(1);
    expect(await upstreamSessionOf(bob)).toBe(bobs);
    expect(await upstreamSessionOf(alice)).toBe(alices);
  });
});

describe("isolate caches on the call path, invalidated by writes", () => {
  it("a scopes write applies to the next call at once", async () => {
    const group = `pool-bot-${serverId.slice(0, 8)}`;
    const bot = principal({ tenant: "default", groups: [group] });
    const current = (await (await api("/api/v1/scopes")).json()) as {
      document: Record<string, Record<string, unknown>>;
    };
    const document = current.document;
    document.group_mappings = { ...document.group_mappings, [group]: [group] };
    document.server_scopes = {
      ...document.server_scopes,
      [group]: [{ server: path, methods: ["tools/call"], tools: ["public_info"] }],
    };
    expect((await api("/api/v1/scopes", { method: "PUT", json: document })).status).toBe(200);
    expect(await call(bot, "public_info")).toBe("public_info ran");
    document.server_scopes = { ...document.server_scopes, [group]: [] };
    expect((await api("/api/v1/scopes", { method: "PUT", json: document })).status).toBe(200);
    const refused = await callReply(bot, "public_info");
    expect(refused?.error?.message).toMatch(/access/i);
  });

  it("disabling the server applies to the next call at once (server and catalog lookups)", async () => {
    expect(await call(alice, "public_info")).toBe("public_info ran");
    const disabled = await api(`/api/v1/servers/${serverId}`, { method: "PATCH", json: { enabled: false } });
    expect(disabled.status, await disabled.clone().text()).toBe(200);
    const before = await stats();
    const refused = await callReply(alice, "public_info");
    expect(refused?.error).toBeDefined();
    expect((await stats()).requests).toBe(before.requests);
    const enabled = await api(`/api/v1/servers/${serverId}`, { method: "PATCH", json: { enabled: true } });
    expect(enabled.status).toBe(200);
    expect(await call(alice, "public_info")).toBe("public_info ran");
  });
});

describe("isolate cache of the aggregated listings, invalidated by writes", () => {
  async function listedTools(who: Principal): Promise<string[]> {
    const response = await postMcp(
      `${BASE}/mcp`,
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/list",
        params: {
          _meta: ENVELOPE,
        },
      },
      {
        token: tokenFor(who),
        headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
      },
    );
    expect(response.status).toBe(200);
    const [reply] = await messagesOf(response);
    return ((reply?.result?.tools ?? []) as { name: string }[]).map((tool) => tool.name);
  }

  it("serves a repeated listing from the isolate, and a disabled server leaves the next listing at once", async () => {
    const catalogs = tenantCatalogsOf(getServices(env).store);
    expect(await listedTools(alice)).toContain(`${path}__public_info`);
    const kept = catalogs.size;
    expect(kept).toBeGreaterThan(0);
    expect(await listedTools(bob)).toContain(`${path}__public_info`);
    expect(catalogs.size).toBe(kept);

    const disabled = await api(`/api/v1/servers/${serverId}`, { method: "PATCH", json: { enabled: false } });
    expect(disabled.status, await disabled.clone().text()).toBe(200);
    expect(await listedTools(alice)).not.toContain(`${path}__public_info`);
    const enabled = await api(`/api/v1/servers/${serverId}`, { method: "PATCH", json: { enabled: true } });
    expect(enabled.status).toBe(200);
    expect(await listedTools(alice)).toContain(`${path}__public_info`);
  });
});

describe("UpstreamSessionPool", () => {
  const session = (id: string) => ({ sessionId: id, protocolVersion: "2025-06-18" });

  it("lends a session to one call at a time and keys it by caller", () => {
    const pool = new UpstreamSessionPool();
    const a = pool.forCaller(alice);
    const b = pool.forCaller(bob);
    expect(a.giveBack("k", session("s1"))).toBe(true);
    expect(b.lend("k")).toBeUndefined();
    expect(a.lend("k")).toEqual(session("s1"));
    // Lent out: a concurrent call of the same caller does not get it.
    expect(a.lend("k")).toBeUndefined();
  });

  it("keeps at most maxIdlePerKey sessions and drops stale ones", () => {
    let now = 0;
    const pool = new UpstreamSessionPool({ maxIdlePerKey: 2, idleMs: 1_000, now: () => now });
    expect(pool.giveBack("k", session("s1"))).toBe(true);
    expect(pool.giveBack("k", session("s2"))).toBe(true);
    expect(pool.giveBack("k", session("s3"))).toBe(false);
    now = 2_000;
    expect(pool.lend("k")).toBeUndefined();
    expect(pool.size).toBe(0);
  });

  it("evicts the least recently used key beyond maxKeys", () => {
    const pool = new UpstreamSessionPool({ maxKeys: 2 });
    pool.giveBack("a", session("a"));
    pool.giveBack("b", session("b"));
    pool.giveBack("c", session("c"));
    expect(pool.lend("a")).toBeUndefined();
    expect(pool.lend("c")).toEqual(session("c"));
  });

  it("derives a different credential key for a different credential, never containing it", async () => {
    const endpoint = "https://u.test/mcp";
    const one = await credentialKey({ url: endpoint, headers: { authorization: "Bearer one" } }, endpoint);
    const two = await credentialKey({ url: endpoint, headers: { authorization: "Bearer two" } }, endpoint);
    expect(one).not.toBe(two);
    expect(one).not.toContain("one");
    expect(await credentialKey({ url: endpoint, headers: { authorization: "Bearer one" } }, endpoint)).toBe(
      one,
    );
  });

  it("keys a request without a credential as none, without a digest, and a query credential apart", async () => {
    const endpoint = "https://u.test/mcp";
    const digest = vi.spyOn(crypto.subtle, "digest");
    expect(await credentialKey({ url: endpoint, headers: {} }, endpoint)).toBe(NO_CREDENTIAL);
    expect(digest).not.toHaveBeenCalled();
    // An API key placed in the query changes the URL: a credential, so a digest of its own.
    const inQuery = await credentialKey({ url: `${endpoint}?key=secret`, headers: {} }, endpoint);
    expect(inQuery).toMatch(/^[0-9a-f]{32}$/);
    expect(inQuery).not.toContain("secret");
    expect(digest).toHaveBeenCalledTimes(1);
    digest.mockRestore();
  });
});
