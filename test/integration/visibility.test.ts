// Visibility of servers, enforced on top of the scopes, through the real app,
// D1 and a real upstream (server-everything): private and group servers
// vanish for everyone else from lists, gets (404, never 403), search, the
// aggregated /mcp tools/list and calls, and the per-server endpoint.
import { exports } from "cloudflare:workers";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { BASE } from "../support/api.ts";
import { messagesOf, postMcp, rpc } from "../support/mcp-http.ts";
import { apiAs, principal, tokenFor, uniqueTenant, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");

const tenant = uniqueTenant("visibility");
const run = `v${Date.now().toString(36)}${crypto.randomUUID().slice(0, 4)}`;
const paths = { open: `${run}-open`, secret: `${run}-secret`, team: `${run}-team` };

const admin = principal({ tenant, subject: "root", groups: ["mcp-registry-admin"] });
const owner = principal({ tenant, subject: "owner", groups: ["users"] });
const member = principal({ tenant, subject: "member", groups: ["users", "team-x"] });
const stranger = principal({ tenant, subject: "stranger", groups: ["users"] });

// Everyone in `users` may list, register and use every server: only visibility hides anything.
const document = {
  group_mappings: { "mcp-registry-admin": ["admin"], users: ["user"] },
  ui_scopes: {
    admin: { list_service: ["all"], register_service: ["all"], manage_scopes: ["all"] },
    user: { list_service: ["all"], register_service: ["all"] },
  },
  server_scopes: {
    admin: [{ server: "*", methods: ["*"], tools: ["*"] }],
    user: [{ server: "*", methods: ["*"], tools: ["*"] }],
  },
};

const ids: Record<keyof typeof paths, string> = { open: "", secret: "", team: "" };

beforeAll(async () => {
  const put = await apiAs(admin, "/api/v1/scopes", { method: "PUT", json: document });
  expect(put.status, await put.clone().text()).toBe(200);
  const specs: [keyof typeof paths, string, string[]][] = [
    ["open", "public", []],
    ["secret", "private", []],
    ["team", "group", ["team-x"]],
  ];
  for (const [key, visibility, groups] of specs) {
    const response = await apiAs(owner, "/api/v1/servers", {
      method: "POST",
      json: {
        name: `Everything ${key}`,
        path: paths[key],
        description: `Quetzal reference server ${key}`,
        endpoints: [{ url: upstreams.everythingStreamableUrl }],
        visibility,
        groups,
      },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const body = (await response.json()) as { id: string; catalog: { status: string } };
    expect(body.catalog.status).toBe("ok");
    ids[key] = body.id;
  }
});

async function listed(who: Principal): Promise<string[]> {
  const response = await apiAs(who, `/api/v1/servers?text=${run}&limit=100`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: { path: string }[] }).items.map((item) => item.path).sort();
}

const EXPECTED: [string, Principal, (keyof typeof paths)[]][] = [
  ["an admin", admin, ["open", "secret", "team"]],
  ["the owner", owner, ["open", "secret", "team"]],
  ["a member of the group", member, ["open", "team"]],
  ["anyone else", stranger, ["open"]],
];

describe("REST", () => {
  for (const [label, who, visible] of EXPECTED) {
    it(`lists and gets exactly what ${label} may see (404 for the rest)`, async () => {
      expect(await listed(who)).toEqual(visible.map((key) => paths[key]).sort());
      for (const key of Object.keys(paths) as (keyof typeof paths)[]) {
        const response = await apiAs(who, `/api/v1/servers/${ids[key]}`);
        expect(response.status, `${label} GET ${key}`).toBe(visible.includes(key) ? 200 : 404);
        const tools = await apiAs(who, `/api/v1/servers/${ids[key]}/tools`);
        expect(tools.status).toBe(visible.includes(key) ? 200 : 404);
      }
    });
  }

  it("answers a hidden server exactly like a missing one", async () => {
    const hidden = await apiAs(stranger, `/api/v1/servers/${ids.secret}`);
    const missing = await apiAs(stranger, `/api/v1/servers/${crypto.randomUUID()}`);
    expect(hidden.status).toBe(missing.status);
    const strip = (problem: Record<string, unknown>) => ({ ...problem, requestId: 0, detail: 0 });
    expect(strip(await hidden.json())).toEqual(strip(await missing.json()));
  });

  it("hides hidden servers and their tools from search", async () => {
    for (const [label, who, visible] of EXPECTED) {
      const response = await apiAs(who, "/api/v1/search?q=quetzal+reference&type=server&limit=50");
      expect(response.status).toBe(200);
      const found = ((await response.json()) as { results: { serverPath: string }[] }).results
        .map((result) => result.serverPath)
        .filter((path) => path.startsWith(run))
        .sort();
      expect(found, label).toEqual(visible.map((key) => paths[key]).sort());
      const tools = await apiAs(who, `/api/v1/search?q=echo&type=tool&limit=50`);
      const toolServers = new Set(
        ((await tools.json()) as { results: { serverPath: string }[] }).results
          .map((result) => result.serverPath)
          .filter((path) => path.startsWith(run)),
      );
      for (const key of Object.keys(paths) as (keyof typeof paths)[]) {
        if (!visible.includes(key)) expect(toolServers.has(paths[key]), `${label} ${key}`).toBe(false);
      }
    }
  });
});

describe("MCP", () => {
  async function client(who: Principal): Promise<Client> {
    const mcp = new Client(
      { name: "visibility-test", version: "1.0.0" },
      {
        versionNegotiation: { mode: { pin: "2026-07-28" } },
        jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
      },
    );
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), {
        fetch: (input, init) => exports.default.fetch(input, init),
        requestInit: { headers: { authorization: `Bearer ${tokenFor(who)}` } },
      }),
    );
    return mcp;
  }

  it("lists on /mcp only the tools of servers the caller may see, and refuses calls to hidden ones", async () => {
    for (const [label, who, visible] of EXPECTED) {
      const mcp = await client(who);
      const names = (await mcp.listTools()).tools.map((tool) => tool.name);
      for (const key of Object.keys(paths) as (keyof typeof paths)[]) {
        const shown = names.includes(`${paths[key]}__echo`);
        expect(shown, `${label} tools/list ${key}`).toBe(visible.includes(key));
        const result = mcp.callTool({ name: `${paths[key]}__echo`, arguments: { message: "hi" } });
        if (visible.includes(key)) {
          expect(JSON.stringify((await result).content)).toContain("hi");
        } else {
          // Unknown, exactly like a tool that does not exist (no refusal that confirms it exists).
          await expect(result).rejects.toThrow(/unknown tool|not found/i);
        }
      }
      await mcp.close();
    }
  });

  it("answers /{path}/mcp of a hidden server like an unregistered path (404)", async () => {
    const initialize = rpc("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    });
    const hidden = await postMcp(`${BASE}/${paths.secret}/mcp`, initialize, { token: tokenFor(stranger) });
    expect(hidden.status).toBe(404);
    const missing = await postMcp(`${BASE}/${run}-nope/mcp`, initialize, { token: tokenFor(stranger) });
    expect(missing.status).toBe(404);
    const seen = await postMcp(`${BASE}/${paths.secret}/mcp`, initialize, { token: tokenFor(owner) });
    expect(seen.status).toBe(200);
    expect((await messagesOf(seen))[0]?.result).toBeDefined();
  });
});
