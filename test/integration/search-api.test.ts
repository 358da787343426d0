// GET /api/v1/search and POST /api/v1/search/reindex end to end inside
// workerd: real routes, real D1 (FTS5), and real MCP servers (the reference
// server-everything and the demo backend) whose catalogs registration reads.
// Each test file gets a tenant of its own, so other files' servers never
// show up in these searches.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { fieldsOf, problemOf, uniquePath } from "../support/api.ts";
import { apiAs, principal, uniqueTenant, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();

const { everythingStreamableUrl, demoUrl } = inject("upstreams");
const tenant = uniqueTenant("search");
const admin = principal({ tenant, groups: ["mcp-registry-admin"] });

interface SearchBody {
  mode: string;
  query: string;
  terms: string[];
  results: {
    kind: string;
    name: string;
    serverId: string;
    serverPath: string;
    score: number;
    matchedFields: string[];
    inputSchema: unknown;
  }[];
  tookMs: number;
}

const servers: { everything?: string; demo?: string } = {};

async function register(url: string, name: string, description: string): Promise<string> {
  const response = await apiAs(admin, "/api/v1/servers", {
    method: "POST",
    json: { name, description, path: uniquePath("search"), endpoints: [{ url }], tags: ["testing"] },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function search(query: string): Promise<Response> {
  return apiAs(admin, `/api/v1/search?${query}`);
}

async function results(query: string): Promise<SearchBody> {
  const response = await search(query);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as SearchBody;
}

const q = (text: string, extra = "") => `q=${encodeURIComponent(text)}${extra}`;

beforeAll(async () => {
  servers.everything = await register(
    everythingStreamableUrl,
    "Everything",
    "Reference server exercising MCP",
  );
  servers.demo = await register(demoUrl, "Demo utilities", "Time zones, unit conversion and word counts");
});

describe("GET /api/v1/search", () => {
  it("finds the right tool for a need in plain words, and says it is keyword search", async () => {
    const body = await results(q("add two numbers together", "&type=tool"));
    expect(body.mode).toBe("keyword");
    expect(body.results[0]).toMatchObject({ kind: "tool", name: "get-sum", serverId: servers.everything });
    expect(body.results[0]?.matchedFields.length).toBeGreaterThan(0);
    expect(body.results[0]?.inputSchema).toMatchObject({ type: "object" });
    expect((await results(q("what time is it in Tokyo right now?", "&type=tool"))).results[0]?.name).toBe(
      "current_time",
    );
    expect((await results(q("convert 5 miles to km", "&type=tool"))).results[0]?.name).toBe("convert_units");
  });

  it("searches servers too, and filters by server and tag", async () => {
    const body = await results(q("unit conversion word counts", "&type=server"));
    expect(body.results[0]).toMatchObject({ kind: "server", serverId: servers.demo });
    const demo = body.results[0]?.serverPath ?? "";
    const scoped = await results(q("echo sum time", `&type=tool&server=${demo}`));
    expect(scoped.results.length).toBeGreaterThan(0);
    expect(scoped.results.every((result) => result.serverPath === demo)).toBe(true);
    expect((await results(q("echo", "&tag=no-such-tag"))).results).toEqual([]);
    expect((await results(q("echo", "&tag=testing&type=tool"))).results[0]?.name).toBe("echo");
  });

  it("answers 400 naming the parameter for an empty, overlong or malformed request", async () => {
    const cases: [string, string][] = [
      ["", "query.q"],
      ["q=", "query.q"],
      ["q=%20%20%20", "query.q"],
      [q("x".repeat(1001)), "query.q"],
      [q("echo", "&type=prompt"), "query.type"],
      [q("echo", "&type=tool,widget"), "query.type"],
      [q("echo", "&limit=0"), "query.limit"],
      [q("echo", "&limit=51"), "query.limit"],
      [q("echo", "&limit=ten"), "query.limit"],
      [q("echo", "&category=tools"), "query.category"],
      [q("echo", `&server=${"s".repeat(65)}`), "query.server"],
    ];
    for (const [query, field] of cases) {
      const response = await search(query);
      expect(response.status, query).toBe(400);
      const problem = await problemOf(response);
      expect(fieldsOf(problem), query).toContain(field);
    }
  });

  it("answers 200 with safe results for FTS syntax and junk", async () => {
    const queries = [
      '"echo',
      "echo*",
      "NEAR(echo sum)",
      "echo AND sum",
      "echo OR",
      "-echo",
      "name:echo",
      "(echo",
      "echo) OR (",
      "*",
      '"',
      "\u0000\u0001",
      "🙂 emoji",
      "日本語のクエリ",
      "x".repeat(1000),
    ];
    for (const query of queries) {
      const response = await search(q(query));
      expect(response.status, query).toBe(200);
      const body = (await response.json()) as SearchBody;
      expect(Array.isArray(body.results)).toBe(true);
    }
    expect((await results(q('echo" OR "sum'))).results.map((result) => result.name)).toContain("echo");
  });

  it("is described in the OpenAPI document", async () => {
    const response = await apiAs(admin, "/api/v1/openapi.json");
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths["/search"] ?? {})).toEqual(["get"]);
    expect(Object.keys(document.paths["/search/reindex"] ?? {})).toEqual(["post"]);
  });

  it("needs a credential", async () => {
    const { exports } = await import("cloudflare:workers");
    const response = await exports.default.fetch(`http://gateway.test/api/v1/search?${q("echo")}`);
    expect(response.status).toBe(401);
  });

  it("stops showing a disabled server's tools, shows them again when enabled, and never after deletion", async () => {
    const id = await register(demoUrl, "Second demo", "Another copy of the demo utilities");
    const mine = async () =>
      (await results(q("word count characters lines", "&limit=50"))).results.filter((r) => r.serverId === id);
    expect((await mine()).length).toBeGreaterThan(0);
    expect((await apiAs(admin, `/api/v1/servers/${id}/disable`, { method: "POST" })).status).toBe(200);
    expect(await mine()).toEqual([]);
    expect((await apiAs(admin, `/api/v1/servers/${id}/enable`, { method: "POST" })).status).toBe(200);
    expect((await mine()).length).toBeGreaterThan(0);
    expect((await apiAs(admin, `/api/v1/servers/${id}`, { method: "DELETE" })).status).toBe(204);
    expect(await mine()).toEqual([]);
  });
});

describe("POST /api/v1/search/reindex", () => {
  it("rebuilds the tenant's index idempotently", async () => {
    const before = await results(q("add two numbers", "&type=tool"));
    const first = await apiAs(admin, "/api/v1/search/reindex", { method: "POST" });
    expect(first.status).toBe(200);
    const report = (await first.json()) as { servers: number; documents: number; removedServers: number };
    expect(report.servers).toBeGreaterThanOrEqual(2);
    const second = (await (
      await apiAs(admin, "/api/v1/search/reindex", { method: "POST" })
    ).json()) as typeof report;
    expect(second).toMatchObject({ servers: report.servers, documents: report.documents, removedServers: 0 });
    const after = await results(q("add two numbers", "&type=tool"));
    expect(after.results.map((result) => result.name)).toEqual(before.results.map((result) => result.name));
  });

  it("is refused to a caller who may not modify every server", async () => {
    const analyst = principal({ tenant, groups: ["lob-finance-bot"] });
    const response = await apiAs(analyst, "/api/v1/search/reindex", { method: "POST" });
    expect(response.status).toBe(403);
    expect((await problemOf(response)).type).toBe("urn:mcp-gateway:problem:forbidden");
  });
});

describe("what a caller may see", () => {
  it("never shows a tool the caller may not call, even when it is the best match", async () => {
    const created = await apiAs(admin, "/api/v1/servers", {
      method: "POST",
      json: { name: "Clock", path: uniquePath("clock"), endpoints: [{ url: demoUrl }] },
    });
    expect(created.status).toBe(201);
    const clockPath = ((await created.json()) as { path: string }).path;
    const current = (await (await apiAs(admin, "/api/v1/scopes")).json()) as {
      document: Record<string, Record<string, unknown>>;
    };
    const document = current.document;
    document.group_mappings = { ...document.group_mappings, "word-bot": ["words-only"] };
    document.ui_scopes = { ...document.ui_scopes, "words-only": { list_service: [clockPath] } };
    document.server_scopes = {
      ...document.server_scopes,
      "words-only": [{ server: clockPath, methods: ["tools/list", "tools/call"], tools: ["word_count"] }],
    };
    const replaced = await apiAs(admin, "/api/v1/scopes", { method: "PUT", json: document });
    expect(replaced.status, await replaced.clone().text()).toBe(200);
    const bot = principal({ tenant, groups: ["word-bot"] });
    const query = `/api/v1/search?${q("current time in a timezone")}&server=${clockPath}`;

    const forAdmin = (await (await apiAs(admin, query)).json()) as SearchBody;
    expect(forAdmin.results[0]?.name).toBe("current_time");

    const forBot = (await (await apiAs(bot, query)).json()) as SearchBody;
    const names = forBot.results.map((hit) => hit.name);
    expect(names).not.toContain("current_time");
    expect(names).not.toContain("convert_units");
    const words = (await (
      await apiAs(bot, `/api/v1/search?${q("count the words")}&server=${clockPath}`)
    ).json()) as SearchBody;
    expect(words.results.map((hit) => hit.name)).toContain("word_count");
  });
});
