// The A2A agent registry through the real app and D1: card validation by the
// pinned A2A schema (422 naming each field by JSON pointer, store unchanged),
// the access table after the seed's example (admin, registry-users-lob1/lob2
// bots), visibility (404, never 403), one namespace with servers, and the
// card at its well-known URL resolved by the official @a2a-js/sdk client.

import { exports } from "cloudflare:workers";
import { DefaultAgentCardResolver } from "@a2a-js/sdk/client";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { cardNamed, geoSpatialRoutePlannerCard, helloWorldCard } from "../support/a2a-cards.ts";
import { BASE, type Problem, problemOf } from "../support/api.ts";
import { apiAs, principal, tokenFor, uniqueTenant, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();

const tenant = uniqueTenant("agents");
const run = `a${Date.now().toString(36)}${crypto.randomUUID().slice(0, 4)}`;
const path = (name: string) => `${run}-${name}`;
const LOB1 = [path("code-reviewer"), path("test-automation")];
const LOB2 = [path("data-analysis"), path("security-scan")];

const admin = principal({ tenant, subject: "root", groups: ["mcp-registry-admin"] });
const lob1 = principal({ tenant, subject: "lob1-bot", groups: ["registry-users-lob1"] });
const lob1Peer = principal({ tenant, subject: "lob1-peer", groups: ["registry-users-lob1"] });
const lob2 = principal({ tenant, subject: "lob2-bot", groups: ["registry-users-lob2"] });
const outsider = principal({ tenant, subject: "outsider", groups: ["unknown"] });

const agentActions = (paths: string[]) => ({
  list_agents: paths,
  get_agent: paths,
  publish_agent: paths,
});

// The seed's example: admin all; each line of business lists, gets and publishes its own two.
const document = {
  group_mappings: {
    "mcp-registry-admin": ["admin"],
    "registry-users-lob1": ["registry-users-lob1"],
    "registry-users-lob2": ["registry-users-lob2"],
  },
  ui_scopes: {
    admin: {
      list_service: ["all"],
      register_service: ["all"],
      list_agents: ["all"],
      get_agent: ["all"],
      publish_agent: ["all"],
      modify_agent: ["all"],
      delete_agent: ["all"],
      manage_scopes: ["all"],
    },
    "registry-users-lob1": agentActions([...LOB1, path("lob1-spare")]),
    "registry-users-lob2": agentActions(LOB2),
  },
};

interface Agent {
  id: string;
  path: string;
  card: Record<string, unknown>;
  trustLevel: string;
  visibility: string;
  enabled: boolean;
  owner: string;
  rating: { mean: number | null; count: number };
}

const ids = new Map<string, string>();
const idOf = (agentPath: string) => {
  const id = ids.get(agentPath);
  if (!id) throw new Error(`no agent ${agentPath}`);
  return id;
};

async function register(who: Principal, body: Record<string, unknown>): Promise<Response> {
  return apiAs(who, "/api/v1/agents", { method: "POST", json: body });
}

async function listAll(who: Principal, query = ""): Promise<string[]> {
  const paths: string[] = [];
  let cursor: string | null = null;
  do {
    const url = `/api/v1/agents?limit=2${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const response = await apiAs(who, url);
    expect(response.status, await response.clone().text()).toBe(200);
    const page = (await response.json()) as { items: Agent[]; nextCursor: string | null };
    paths.push(...page.items.map((agent) => agent.path));
    cursor = page.nextCursor;
  } while (cursor);
  return paths.filter((agentPath) => agentPath.startsWith(run));
}

beforeAll(async () => {
  const put = await apiAs(admin, "/api/v1/scopes", { method: "PUT", json: document });
  expect(put.status, await put.clone().text()).toBe(200);
  const owners: [Principal, string, string][] = [
    [lob1, LOB1[0] as string, "public"],
    [lob1, LOB1[1] as string, "private"],
    [lob2, LOB2[0] as string, "public"],
    [lob2, LOB2[1] as string, "group"],
    [admin, path("admin-only"), "private"],
  ];
  for (const [who, agentPath, visibility] of owners) {
    const response = await register(who, {
      path: agentPath,
      card: cardNamed(agentPath, [
        { id: `${agentPath}-skill`, name: "Review code", description: "Finds bugs", tags: ["qa"] },
      ]),
      visibility,
      groups: visibility === "group" ? ["registry-users-lob2"] : [],
      tags: ["team"],
    });
    expect(response.status, await response.clone().text()).toBe(201);
    ids.set(agentPath, ((await response.json()) as Agent).id);
  }
});

describe("card validation by the pinned A2A schema", () => {
  it("accepts the specification's example cards and returns them unchanged", async () => {
    for (const [name, card] of [
      ["geo", geoSpatialRoutePlannerCard()],
      ["hello", helloWorldCard()],
    ] as const) {
      const response = await register(admin, { path: path(`example-${name}`), card });
      expect(response.status, await response.clone().text()).toBe(201);
      const agent = (await response.json()) as Agent;
      expect(agent.card).toEqual(card);
      expect(agent.trustLevel).toBe("unverified");
      expect(agent.rating).toEqual({ mean: null, count: 0 });
      expect(response.headers.get("location")).toBe(`/api/v1/agents/${agent.id}`);
    }
  });

  const cases: [string, (card: Record<string, unknown>) => void, string[]][] = [
    ["missing name", (card) => delete card.name, ["/card/name"]],
    ["missing url", (card) => delete card.url, ["/card/url"]],
    ["missing version", (card) => delete card.version, ["/card/version"]],
    ["missing skills", (card) => delete card.skills, ["/card/skills"]],
    [
      "missing name, url, version and skills at once",
      (card) => {
        delete card.name;
        delete card.url;
        delete card.version;
        delete card.skills;
      },
      ["/card/name", "/card/skills", "/card/url", "/card/version"],
    ],
    [
      "wrong types",
      (card) => {
        card.name = 42;
        card.version = 1;
        card.skills = "all of them";
        card.capabilities = { streaming: "yes" };
      },
      ["/card/capabilities/streaming", "/card/name", "/card/skills", "/card/version"],
    ],
    [
      "a skill without id and with a wrong tag type",
      (card) => {
        card.skills = [{ name: "x", description: "y", tags: [1] }];
      },
      ["/card/skills/0/id", "/card/skills/0/tags/0"],
    ],
  ];

  for (const [label, spoil, fields] of cases) {
    it(`refuses a card with ${label} (422 per field) and stores nothing`, async () => {
      const card = helloWorldCard();
      spoil(card);
      const before = await listAll(admin);
      const agentPath = path(`bad-${fields.length}-${label.length}`);
      const response = await register(admin, { path: agentPath, card });
      expect(response.status).toBe(422);
      const problem = await problemOf(response);
      expect([...new Set(problem.errors?.map((error) => error.field))].sort()).toEqual(fields);
      expect(await listAll(admin)).toEqual(before);
      // The path is still free.
      const retry = await register(admin, { path: agentPath, card: helloWorldCard() });
      expect(retry.status).toBe(201);
      await apiAs(admin, `/api/v1/agents/${((await retry.json()) as Agent).id}`, { method: "DELETE" });
    });
  }

  it("re-validates a replaced card (PUT) and keeps the old one on refusal", async () => {
    const id = idOf(LOB1[0] as string);
    const before = (await (await apiAs(admin, `/api/v1/agents/${id}`)).json()) as Agent;
    const broken = { ...helloWorldCard(), url: 7 };
    const refused = await apiAs(admin, `/api/v1/agents/${id}`, { method: "PUT", json: { card: broken } });
    expect(refused.status).toBe(422);
    expect((await problemOf(refused)).errors?.map((error) => error.field)).toEqual(["/card/url"]);
    const after = (await (await apiAs(admin, `/api/v1/agents/${id}`)).json()) as Agent;
    expect(after).toEqual(before);

    const card = { ...(before.card as Record<string, unknown>), description: "Reviews code, now faster" };
    const replaced = await apiAs(lob1, `/api/v1/agents/${id}`, { method: "PUT", json: { card } });
    expect(replaced.status, await replaced.clone().text()).toBe(200);
    expect(((await replaced.json()) as Agent).card.description).toBe("Reviews code, now faster");
  });

  it("refuses registry fields of the wrong shape (422 naming them)", async () => {
    const response = await register(admin, {
      path: "Not A Slug",
      card: helloWorldCard(),
      visibility: "secret",
      trustLevel: "trusted",
    });
    expect(response.status).toBe(422);
    const fields = (await problemOf(response)).errors?.map((error) => error.field).sort();
    expect(fields).toEqual(["path", "trustLevel", "visibility"]);
  });
});

describe("one namespace with servers", () => {
  it("refuses an agent on a server's path and a server on an agent's path (409)", async () => {
    const serverPath = path("shared-server");
    const server = await apiAs(admin, "/api/v1/servers", {
      method: "POST",
      json: { name: "S", path: serverPath, endpoints: [{ url: "http://127.0.0.1:1/mcp" }] },
    });
    expect(server.status, await server.clone().text()).toBe(201);
    const agent = await register(admin, { path: serverPath, card: helloWorldCard() });
    expect(agent.status).toBe(409);
    expect((await problemOf(agent)).errors).toEqual([{ field: "path", message: "already taken" }]);

    const onAgent = await apiAs(admin, "/api/v1/servers", {
      method: "POST",
      json: { name: "S2", path: LOB1[0], endpoints: [{ url: "http://127.0.0.1:1/mcp" }] },
    });
    expect(onAgent.status).toBe(409);
  });
});

describe("access after the seed's example", () => {
  it("shows an admin every agent, private ones included", async () => {
    const seen = await listAll(admin);
    for (const agentPath of [...LOB1, ...LOB2, path("admin-only")]) expect(seen).toContain(agentPath);
  });

  it("lets a registry-users-lob1 bot list and get only its two agents", async () => {
    expect(await listAll(lob1)).toEqual([...LOB1].sort());
    for (const agentPath of LOB1) {
      const response = await apiAs(lob1, `/api/v1/agents/${idOf(agentPath)}`);
      expect(response.status).toBe(200);
    }
    // lob2's public agent: not granted (403); lob2's group agent and the admin's private one: invisible (404).
    expect((await apiAs(lob1, `/api/v1/agents/${idOf(LOB2[0] as string)}`)).status).toBe(403);
    expect((await apiAs(lob1, `/api/v1/agents/${idOf(LOB2[1] as string)}`)).status).toBe(404);
    expect((await apiAs(lob1, `/api/v1/agents/${idOf(path("admin-only"))}`)).status).toBe(404);
  });

  it("hides a private agent from everyone but its owner and admins (404, never 403)", async () => {
    const privateId = idOf(LOB1[1] as string);
    expect(await listAll(lob1Peer)).toEqual([LOB1[0]]);
    const response = await apiAs(lob1Peer, `/api/v1/agents/${privateId}`);
    expect(response.status).toBe(404);
    const unknown = await apiAs(lob1Peer, `/api/v1/agents/${crypto.randomUUID()}`);
    const { requestId: _a, ...hidden } = (await problemOf(response)) as Problem & { requestId?: string };
    const { requestId: _b, ...missing } = (await problemOf(unknown)) as Problem & { requestId?: string };
    expect({ ...hidden, detail: undefined }).toEqual({ ...missing, detail: undefined });
  });

  it("shows a group agent to members of its groups only", async () => {
    const groupAgent = LOB2[1] as string;
    expect(await listAll(lob2)).toEqual([...LOB2].sort());
    const member = principal({ tenant, subject: "lob2-peer", groups: ["registry-users-lob2"] });
    expect((await apiAs(member, `/api/v1/agents/${idOf(groupAgent)}`)).status).toBe(200);
  });

  it("refuses lob2 any change to lob1's agents, and changes nothing", async () => {
    const id = idOf(LOB1[0] as string);
    const before = await (await apiAs(admin, `/api/v1/agents/${id}`)).json();
    const attempts: [string, string, unknown?][] = [
      ["PATCH", `/api/v1/agents/${id}`, { tags: ["hijacked"] }],
      ["PUT", `/api/v1/agents/${id}`, { card: helloWorldCard() }],
      ["POST", `/api/v1/agents/${id}/disable`],
      ["DELETE", `/api/v1/agents/${id}`],
    ];
    for (const [method, url, json] of attempts) {
      const response = await apiAs(lob2, url, { method, json });
      expect(response.status, `${method} ${url}`).toBe(403);
    }
    expect(await (await apiAs(admin, `/api/v1/agents/${id}`)).json()).toEqual(before);
  });

  it("lets an owner with publish_agent modify, disable and delete its own agent", async () => {
    const spare = path("lob1-spare");
    const created = await register(lob1, { path: spare, card: helloWorldCard() });
    expect(created.status, await created.clone().text()).toBe(201);
    const id = ((await created.json()) as Agent).id;
    const patched = await apiAs(lob1, `/api/v1/agents/${id}`, { method: "PATCH", json: { tags: ["mine"] } });
    expect(patched.status).toBe(200);
    const disabled = await apiAs(lob1, `/api/v1/agents/${id}/disable`, { method: "POST" });
    expect(((await disabled.json()) as Agent).enabled).toBe(false);
    expect((await listAll(lob1, "&enabled=false")).includes(spare)).toBe(true);
    // Another member of the same group is not its owner and holds no modify_agent.
    expect((await apiAs(lob1Peer, `/api/v1/agents/${id}`, { method: "DELETE" })).status).toBe(403);
    expect((await apiAs(lob1, `/api/v1/agents/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await apiAs(admin, `/api/v1/agents/${id}`)).status).toBe(404);
  });

  it("lets only admins set trustLevel verified", async () => {
    const id = idOf(LOB1[0] as string);
    const refused = await apiAs(lob1, `/api/v1/agents/${id}`, {
      method: "PATCH",
      json: { trustLevel: "verified" },
    });
    expect(refused.status).toBe(403);
    const byRegistration = await register(lob1, {
      path: path("lob1-spare"),
      card: helloWorldCard(),
      trustLevel: "verified",
    });
    expect(byRegistration.status).toBe(403);
    const community = await apiAs(lob1, `/api/v1/agents/${id}`, {
      method: "PATCH",
      json: { trustLevel: "community" },
    });
    expect(community.status).toBe(200);
    const verified = await apiAs(admin, `/api/v1/agents/${id}`, {
      method: "PATCH",
      json: { trustLevel: "verified" },
    });
    expect(((await verified.json()) as Agent).trustLevel).toBe("verified");
    expect(await listAll(admin, "&trustLevel=verified")).toEqual([LOB1[0]]);
  });

  it("refuses a caller without agent scopes everything", async () => {
    expect(await listAll(outsider)).toEqual([]);
    expect((await register(outsider, { path: path("x"), card: helloWorldCard() })).status).toBe(403);
  });
});

describe("the card at its well-known URL", () => {
  const fetchAs =
    (who: Principal): typeof fetch =>
    async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set("authorization", `Bearer ${tokenFor(who)}`);
      return exports.default.fetch(new Request(input, { ...init, headers }));
    };

  it("is resolved by the official A2A client (@a2a-js/sdk) for a caller who may see it", async () => {
    const resolver = new DefaultAgentCardResolver({
      fetchImpl: fetchAs(lob1),
      legacyCompat: { enabled: true },
    });
    const card = await resolver.resolve(`${BASE}/agents/${LOB1[1]}/`);
    expect(card.name).toBe(LOB1[1]);
    const raw = await fetchAs(lob1)(`${BASE}/agents/${LOB1[1]}/.well-known/agent-card.json`);
    expect(raw.status).toBe(200);
    const stored = (await (await apiAs(admin, `/api/v1/agents/${idOf(LOB1[1] as string)}`)).json()) as Agent;
    expect(await raw.json()).toEqual(stored.card);
  });

  it("is 404 for callers who may not see it, unknown paths and disabled agents; 401 without a token", async () => {
    const url = (agentPath: string) => `${BASE}/agents/${agentPath}/.well-known/agent-card.json`;
    expect((await fetchAs(lob1Peer)(url(LOB1[1] as string))).status).toBe(404);
    expect((await fetchAs(lob2)(url(LOB1[0] as string))).status).toBe(404);
    expect((await fetchAs(lob1)(url(path("nope")))).status).toBe(404);
    expect((await exports.default.fetch(url(LOB1[0] as string))).status).toBe(401);
    const id = idOf(LOB2[0] as string);
    await apiAs(admin, `/api/v1/agents/${id}/disable`, { method: "POST" });
    expect((await fetchAs(lob2)(url(LOB2[0] as string))).status).toBe(404);
    await apiAs(admin, `/api/v1/agents/${id}/enable`, { method: "POST" });
    expect((await fetchAs(lob2)(url(LOB2[0] as string))).status).toBe(200);
  });
});

describe("agents and skills as search documents", () => {
  interface Hit {
    kind: string;
    agentPath?: string;
    skillId?: string | null;
    name: string;
  }
  const search = async (who: Principal, query: string) => {
    const response = await apiAs(who, `/api/v1/search?${query}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return ((await response.json()) as { results: Hit[] }).results.filter((hit) =>
      hit.agentPath?.startsWith(run),
    );
  };

  it("finds agents (type=agent) and skills (type=skill), only those the caller may see", async () => {
    const agents = await search(lob1, "q=review+code&type=agent&limit=50");
    expect(agents.every((hit) => hit.kind === "agent")).toBe(true);
    expect(agents.map((hit) => hit.agentPath).sort()).toEqual([...LOB1].sort());
    const skills = await search(lob1, "q=finds+bugs&type=skill&limit=50");
    expect(skills.map((hit) => [hit.kind, hit.skillId]).sort()).toEqual(
      LOB1.map((agentPath) => ["skill", `${agentPath}-skill`]).sort(),
    );
    const geo = await search(admin, "q=traffic+route&type=skill&limit=50");
    expect(geo[0]).toMatchObject({ kind: "skill", skillId: "route-optimizer-traffic" });
    expect(await search(outsider, "q=review+code&type=agent,skill&limit=50")).toEqual([]);
  });

  it("lets discover_tools on /mcp return agents with kind agent", async () => {
    const mcp = new Client(
      { name: "agents-test", version: "1.0.0" },
      {
        versionNegotiation: { mode: { pin: "2026-07-28" } },
        jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
      },
    );
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), {
        fetch: (input, init) => exports.default.fetch(input, init),
        requestInit: { headers: { authorization: `Bearer ${tokenFor(lob1)}` } },
      }),
    );
    const found = await mcp.callTool({ name: "discover_tools", arguments: { query: "review code bugs" } });
    const items = (
      found.structuredContent as { tools: { kind: string; agent?: string; cardPath?: string }[] }
    ).tools;
    const agents = items.filter((item) => item.kind === "agent" && item.agent?.startsWith(run));
    expect(agents.map((item) => item.agent).sort()).toEqual([...LOB1].sort());
    expect(agents[0]?.cardPath).toMatch(/^\/agents\/.+\/\.well-known\/agent-card\.json$/);
    await mcp.close();
  });
});
