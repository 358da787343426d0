// Per-user upstream credentials (issue 15, 3-legged OAuth) end to end: the
// gateway under `wrangler dev`, users signed in by a loopback IdP
// (oauth2-mock-server), and an upstream whose own provider (a second
// oauth2-mock-server) issues the tokens its real MCP server requires. User A
// connects (the redirect flow driven with fetch, redirects followed by hand,
// the browser-binding cookie carried back), and A's calls on /{path}/mcp and
// /mcp carry A's token; B gets the "connect your account" error with a URL;
// the D1 row holds ciphertext only; an expired token is refreshed, a refused
// refresh asks for a reconnect; users and admins revoke.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { McpError } from "@modelcontextprotocol/sdk/types.js";
import { OAuth2Server } from "oauth2-mock-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort } from "../../scripts/processes.ts";
import { type OAuthUpstream, startOAuthUpstream } from "../support/oauth-upstream.ts";

const GATEWAY_AUDIENCE = "mcp-gateway-3lo";
const PATH = "per-user";

let idp: OAuth2Server;
let upstream: OAuthUpstream;
let gateway: LocalGateway;
let persistDir = "";
let adminToken = "";
let serverId = "";
const users: Record<"alice" | "bob" | "carol", string> = { alice: "", bob: "", carol: "" };

async function userToken(subject: string, groups: string[]): Promise<string> {
  return idp.issuer.buildToken({
    expiresIn: 3600,
    scopesOrTransform: (_header, payload) => {
      Object.assign(payload, { sub: subject, aud: GATEWAY_AUDIENCE, groups, preferred_username: subject });
    },
  });
}

beforeAll(async () => {
  idp = new OAuth2Server();
  await idp.issuer.keys.generate("RS256");
  await idp.start(0, "127.0.0.1");
  upstream = await startOAuthUpstream();
  persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-3lo-"));
  const secrets = newDevSecrets();
  gateway = await startLocalGateway({
    port: await freePort(),
    persistDir,
    secrets: { ...secrets },
    vars: {
      AUTH_ISSUERS: JSON.stringify([{ issuer: idp.issuer.url, audiences: [GATEWAY_AUDIENCE] }]),
    },
  });
  adminToken = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
  // Alice and Bob may call every server; Carol holds no group (not an admin).
  users.alice = await userToken("alice", ["mcp-registry-admin"]);
  users.bob = await userToken("bob", ["mcp-registry-admin"]);
  users.carol = await userToken("carol", []);
  const registered = await api(adminToken, "/api/v1/servers", {
    method: "POST",
    body: {
      name: "Per-user upstream",
      path: PATH,
      endpoints: [{ url: upstream.mcpUrl }],
      egress: upstream.egress(),
    },
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  serverId = (registered.body as { id: string }).id;
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([gateway?.stop(), upstream?.stop(), idp?.stop()]);
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

async function api(
  token: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined && { "content-type": "application/json" }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The connect flow as a browser does it: gateway -> provider -> gateway callback, cookie carried back. */
async function connect(token: string, providerAccount: string): Promise<URL> {
  upstream.signInAs(providerAccount);
  const start = await fetch(`${gateway.url}/api/v1/connections/${serverId}/connect`, {
    headers: { authorization: `Bearer ${token}` },
    redirect: "manual",
  });
  expect(start.status, await start.clone().text()).toBe(302);
  const authorize = new URL(start.headers.get("location") ?? "");
  expect(authorize.origin + authorize.pathname).toBe(`${upstream.issuer}/authorize`);
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorize.searchParams.get("redirect_uri")).toBe(`${gateway.url}/oauth/upstream/callback`);
  const cookie = start.headers
    .getSetCookie()
    .find((value) => value.startsWith("mcpgw_connect="))
    ?.split(";")[0];
  expect(cookie).toBeDefined();
  const atProvider = await fetch(authorize, { redirect: "manual" });
  expect(atProvider.status).toBe(302);
  const callback = atProvider.headers.get("location") ?? "";
  const done = await fetch(callback, { headers: { cookie: cookie ?? "" }, redirect: "manual" });
  expect(done.status).toBe(303);
  return new URL(done.headers.get("location") ?? "");
}

async function mcpClient(token: string, path: string): Promise<Client> {
  const client = new Client({ name: "3lo-e2e", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gateway.url}${path}`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** whoami through the per-server endpoint: the provider account the upstream saw. */
async function whoamiPerServer(token: string): Promise<string> {
  const client = await mcpClient(token, `/${PATH}/mcp`);
  try {
    const result = await client.callTool({ name: "whoami", arguments: {} });
    return (result.content as { text: string }[])[0]?.text ?? "";
  } finally {
    await client.close();
  }
}

async function whoamiAggregated(token: string): Promise<string> {
  const client = await mcpClient(token, "/mcp");
  try {
    const result = await client.callTool({ name: `${PATH}__whoami`, arguments: {} });
    if (result.isError) throw new Error(JSON.stringify(result.content));
    return (result.content as { text: string }[])[0]?.text ?? "";
  } finally {
    await client.close();
  }
}

/** The raw JSON-RPC answer to tools/call on /{path}/mcp (no initialize needed to see the refusal). */
interface RawReply {
  id: number;
  error: {
    code: number;
    message: string;
    data: { connectUrl: string; reason: string; elicitations: Record<string, unknown>[] };
  };
}

async function rawCall(token: string): Promise<{ status: number; body: RawReply }> {
  const response = await fetch(`${gateway.url}/${PATH}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "whoami", arguments: {} },
    }),
  });
  return { status: response.status, body: (await response.json()) as RawReply };
}

function connectUrl(): string {
  return `${gateway.url}/connections?connect=${serverId}`;
}

async function statusOf(token: string): Promise<string | undefined> {
  const list = await api(token, "/api/v1/connections");
  expect(list.status).toBe(200);
  return (list.body as { items: { serverId: string; status: string }[] }).items.find(
    (item) => item.serverId === serverId,
  )?.status;
}

describe("per-user upstream credentials (3-legged OAuth)", () => {
  it("validates an oauth egress at the edge, naming the field", async () => {
    const bad = await api(adminToken, "/api/v1/servers", {
      method: "POST",
      body: {
        name: "Bad",
        path: "bad-oauth",
        endpoints: [{ url: upstream.mcpUrl }],
        egress: {
          type: "oauth",
          provider: { authorizeUrl: "not a url", tokenUrl: `${upstream.issuer}/token`, clientId: "x" },
        },
      },
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain("egress.provider.authorizeUrl");
    const secretValue = await api(adminToken, "/api/v1/servers", {
      method: "POST",
      body: {
        name: "Bad",
        path: "bad-oauth",
        endpoints: [{ url: upstream.mcpUrl }],
        egress: {
          ...upstream.egress(),
          provider: { ...(upstream.egress().provider as object), clientSecret: "s3cr3t-value" },
        },
      },
    });
    expect(secretValue.status).toBe(422);
    expect(JSON.stringify(secretValue.body)).toContain("egress.provider.clientSecret");
  });

  it("refuses an unconnected user with the connect URL, on /{path}/mcp and on /mcp", async () => {
    expect(await statusOf(users.bob)).toBe("not_connected");
    const raw = await rawCall(users.bob);
    expect(raw.status).toBe(200);
    expect(raw.body.id).toBe(7);
    expect(raw.body.error.code).toBe(-32042);
    expect(raw.body.error.message).toContain("connect");
    expect(raw.body.error.data.connectUrl).toBe(connectUrl());
    expect(raw.body.error.data.elicitations[0]).toMatchObject({ mode: "url", url: connectUrl() });
    // Nothing reached the upstream without a user's token but the gateway's own anonymous probes.
    expect(upstream.calls).toHaveLength(0);
  });

  it("connects user A: the redirect flow stores A's token and A's calls carry it", async () => {
    const landed = await connect(users.alice, "upstream-alice");
    expect(landed.pathname).toBe("/connections");
    expect(landed.searchParams.get("connected"), landed.href).toBe(serverId);
    expect(upstream.grants).toContain("authorization_code");
    expect(await statusOf(users.alice)).toBe("connected");
    expect(await whoamiPerServer(users.alice)).toBe("upstream-alice");
    expect(upstream.calls.at(-1)?.subject).toBe("upstream-alice");
  });

  it("reads the catalog with the connecting user's token, so /mcp lists and calls the tool for A", async () => {
    await expect
      .poll(
        async () => {
          const server = await api(adminToken, `/api/v1/servers/${serverId}`);
          return (server.body as { catalog: { status: string } }).catalog.status;
        },
        { timeout: 15_000 },
      )
      .toBe("ok");
    expect(await whoamiAggregated(users.alice)).toBe("upstream-alice");
  });

  it("gives user B the connect error on /mcp while A is connected, then B's own token once B connects", async () => {
    const client = await mcpClient(users.bob, "/mcp");
    try {
      const refused = await client.callTool({ name: `${PATH}__whoami`, arguments: {} }).then(
        () => null,
        (error: McpError) => error,
      );
      expect(refused?.code).toBe(-32042);
      expect(refused?.message).toContain(connectUrl());
      // The SDK client reads -32042 as URLElicitationRequiredError: it keeps the elicitations.
      const elicitations = (refused?.data as { elicitations?: { mode: string; url: string }[] })
        ?.elicitations;
      expect(elicitations?.[0]).toMatchObject({ mode: "url", url: connectUrl() });
    } finally {
      await client.close();
    }
    await connect(users.bob, "upstream-bob");
    expect(await whoamiPerServer(users.bob)).toBe("upstream-bob");
    expect(await whoamiAggregated(users.bob)).toBe("upstream-bob");
    // A is still A.
    expect(await whoamiPerServer(users.alice)).toBe("upstream-alice");
  });

  it("refuses a callback without the browser that started the flow", async () => {
    const start = await fetch(`${gateway.url}/api/v1/connections/${serverId}/connect`, {
      headers: { authorization: `Bearer ${users.alice}` },
      redirect: "manual",
    });
    const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const done = await fetch(atProvider.headers.get("location") ?? "", { redirect: "manual" });
    expect(done.status).toBe(303);
    expect(new URL(done.headers.get("location") ?? "").searchParams.get("connect_error")).toContain(
      "another browser",
    );
    const forged = await fetch(`${gateway.url}/oauth/upstream/callback?state=abc.def&code=x`, {
      redirect: "manual",
    });
    expect(new URL(forged.headers.get("location") ?? "").searchParams.get("connect_error")).toContain(
      "expired",
    );
  });

  it("stores ciphertext only: no token the provider issued appears in D1", async () => {
    const rows = await credentialRows();
    expect(rows.length).toBe(2);
    expect(upstream.issued.length).toBeGreaterThanOrEqual(4);
    const dump = JSON.stringify(rows);
    for (const token of upstream.issued) {
      // Any 12 characters of a token would already be a leak.
      for (let at = 0; at + 12 <= token.length; at += 12)
        expect(dump).not.toContain(token.slice(at, at + 12));
    }
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        [
          "ciphertext",
          "created_at",
          "expires_at",
          "issuer",
          "iv",
          "scopes",
          "server_id",
          "status",
          "subject",
          "tenant",
          "updated_at",
          "user_name",
        ].sort(),
      );
      expect(String(row.iv)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    }
    // Fresh IV per record.
    expect(new Set(rows.map((row) => row.iv)).size).toBe(rows.length);
  });

  it("refreshes an expired token before using it", async () => {
    upstream.tokenLifetime(2);
    await connect(users.alice, "upstream-alice");
    const connectedWith = upstream.issued.at(-2);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    upstream.tokenLifetime(3600);
    const refreshesBefore = upstream.grants.filter((grant) => grant === "refresh_token").length;
    // The upstream verifies `exp`: only a refreshed token gets through.
    expect(await whoamiPerServer(users.alice)).toBe("upstream-alice");
    expect(upstream.grants.filter((grant) => grant === "refresh_token").length).toBe(refreshesBefore + 1);
    expect(upstream.calls.at(-1)?.authorization).not.toBe(`Bearer ${connectedWith}`);
    expect(await statusOf(users.alice)).toBe("connected");
  });

  it("asks for a reconnect when the provider refuses the refresh", async () => {
    upstream.tokenLifetime(2);
    await connect(users.alice, "upstream-alice");
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    upstream.tokenLifetime(3600);
    upstream.refuseRefresh(true);
    try {
      const raw = await rawCall(users.alice);
      expect(raw.body.error.code).toBe(-32042);
      expect(raw.body.error.data.reason).toBe("reconnect");
      expect(await statusOf(users.alice)).toBe("reconnect_required");
    } finally {
      upstream.refuseRefresh(false);
    }
    await connect(users.alice, "upstream-alice");
    expect(await statusOf(users.alice)).toBe("connected");
    expect(await whoamiPerServer(users.alice)).toBe("upstream-alice");
  });

  it("lets a user disconnect, and an admin list and revoke another user's connection", async () => {
    expect((await api(users.bob, `/api/v1/connections/${serverId}`, { method: "DELETE" })).status).toBe(204);
    expect((await rawCall(users.bob)).body.error.data.reason).toBe("not_connected");
    expect((await api(users.bob, `/api/v1/connections/${serverId}`, { method: "DELETE" })).status).toBe(404);

    expect((await api(users.carol, "/api/v1/connections?user=alice")).status).toBe(403);
    const listed = await api(adminToken, "/api/v1/connections?user=alice");
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({
      user: "alice",
      items: [{ serverId, serverPath: PATH, status: "connected" }],
    });
    expect(JSON.stringify(listed.body)).not.toContain("ciphertext");
    expect(
      (await api(users.carol, `/api/v1/connections/${serverId}?user=alice`, { method: "DELETE" })).status,
    ).toBe(403);
    expect(
      (await api(adminToken, `/api/v1/connections/${serverId}?user=alice`, { method: "DELETE" })).status,
    ).toBe(204);
    expect((await rawCall(users.alice)).body.error.data.reason).toBe("not_connected");
    expect(await credentialRows()).toHaveLength(0);
  });
});

/** The rows of `user_credentials` in the gateway's local D1 (read-only, beside wrangler). */
async function credentialRows(): Promise<Record<string, unknown>[]> {
  const dir = join(persistDir, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = (await readdir(dir)).filter((name) => name.endsWith(".sqlite"));
  for (const file of files) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    try {
      const table = db.prepare("SELECT name FROM sqlite_master WHERE name = 'user_credentials'").get();
      if (table) return db.prepare("SELECT * FROM user_credentials").all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  throw new Error(`no user_credentials table under ${dir}`);
}
