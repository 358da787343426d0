// The REST API end to end inside workerd: real D1, and real MCP servers
// (server-everything in both transports) read during registration.
import { describe, expect, inject, it } from "vitest";
import { api, fieldsOf, problemOf, uniquePath } from "../support/api.ts";

const { everythingStreamableUrl, everythingSseUrl } = inject("upstreams");
// Nothing listens on port 1; connection attempts fail at once.
const DEAD_URL = "http://127.0.0.1:1/mcp";

interface ServerBody {
  id: string;
  path: string;
  name: string;
  description: string;
  tags: string[];
  enabled: boolean;
  endpoints: { url: string; transport: string; weight: number }[];
  catalog: {
    status: string;
    error: string | null;
    counts: { tools: number; prompts: number };
    protocolVersion: string | null;
  };
  tools: { name: string }[];
  updatedAt: string;
}

async function register(overrides: Record<string, unknown> = {}): Promise<ServerBody> {
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: {
      name: "Everything",
      path: uniquePath("everything"),
      endpoints: [{ url: everythingStreamableUrl }],
      tags: ["reference"],
      ...overrides,
    },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as ServerBody;
}

async function listIds(): Promise<string[]> {
  const response = await api("/api/v1/servers?limit=100");
  expect(response.status).toBe(200);
  const page = (await response.json()) as { items: ServerBody[] };
  return page.items.map((server) => server.id).sort();
}

describe("registering servers", () => {
  it("registers a Streamable HTTP server and stores its catalog", async () => {
    const server = await register();
    expect(server.catalog.status).toBe("ok");
    expect(server.catalog.error).toBeNull();
    expect(server.catalog.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const names = server.tools.map((tool) => tool.name);
    expect(names).toContain("echo");
    expect(server.catalog.counts.tools).toBe(names.length);

    const tools = await api(`/api/v1/servers/${server.id}/tools`);
    const body = (await tools.json()) as {
      items: { key: string; fingerprint: string; definition: { name: string; inputSchema: unknown } }[];
    };
    expect(body.items.map((item) => item.key)).toEqual(names);
    const echo = body.items.find((item) => item.key === "echo");
    expect(echo?.definition.inputSchema).toMatchObject({ type: "object" });
    expect(echo?.fingerprint).toMatch(/^[0-9a-f]{64}$/);

    const prompts = (await (await api(`/api/v1/servers/${server.id}/prompts`)).json()) as {
      items: unknown[];
    };
    expect(prompts.items).toHaveLength(server.catalog.counts.prompts);
    expect(prompts.items.length).toBeGreaterThan(0);
    const resources = (await (await api(`/api/v1/servers/${server.id}/resources`)).json()) as {
      items: { kind: string }[];
    };
    expect(resources.items.some((item) => item.kind === "resource")).toBe(true);
  });

  it("registers a legacy SSE server", async () => {
    const server = await register({ endpoints: [{ url: everythingSseUrl, transport: "sse" }] });
    expect(server.catalog.status).toBe("ok");
    expect(server.tools.map((tool) => tool.name)).toContain("echo");
  });

  it("registers an unreachable server, marked with the reason", async () => {
    const server = await register({ endpoints: [{ url: DEAD_URL }] });
    expect(server.catalog.status).toBe("unreachable");
    expect(server.catalog.error).toBeTruthy();
    expect(server.tools).toEqual([]);
    const fetched = (await (await api(`/api/v1/servers/${server.id}`)).json()) as ServerBody;
    expect(fetched.catalog).toEqual(server.catalog);
  });

  it("fails over to a second replica when the first cannot be reached", async () => {
    const server = await register({ endpoints: [{ url: DEAD_URL }, { url: everythingStreamableUrl }] });
    expect(server.catalog.status).toBe("ok");
    expect(server.endpoints).toHaveLength(2);
  });

  it("reports a missing egress secret as the reason", async () => {
    const server = await register({ egress: { type: "bearer", secret: "NO_SUCH_SECRET" } });
    expect(server.catalog.status).toBe("unreachable");
    expect(server.catalog.error).toBe("egress secret NO_SUCH_SECRET is not set");
  });

  it("answers 201 with a Location header and the defaults filled in", async () => {
    const path = uniquePath("loc");
    const response = await api("/api/v1/servers", {
      method: "POST",
      json: { name: "Loc", path, endpoints: [{ url: DEAD_URL }] },
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as ServerBody & { visibility: string; timeoutMs: number };
    expect(response.headers.get("location")).toBe(`/api/v1/servers/${body.id}`);
    expect(body).toMatchObject({
      enabled: true,
      visibility: "public",
      description: "",
      tags: [],
      timeoutMs: 30000,
    });
    expect(body.endpoints).toEqual([{ url: DEAD_URL, transport: "streamable-http", weight: 1 }]);
  });
});

describe("reading, changing and deleting", () => {
  it("gets, patches, toggles, refreshes and deletes", async () => {
    const server = await register({ endpoints: [{ url: DEAD_URL }], description: "before" });

    const patched = await api(`/api/v1/servers/${server.id}`, {
      method: "PATCH",
      json: { description: "after", tags: ["x", "x", "y"] },
    });
    expect(patched.status).toBe(200);
    const afterPatch = (await patched.json()) as ServerBody;
    expect(afterPatch).toMatchObject({
      description: "after",
      tags: ["x", "y"],
      name: server.name,
      path: server.path,
    });
    expect(afterPatch.catalog.status).toBe("unreachable");

    // Pointing it at a live upstream re-reads the catalog.
    const moved = await api(`/api/v1/servers/${server.id}`, {
      method: "PATCH",
      json: { endpoints: [{ url: everythingStreamableUrl }] },
    });
    const afterMove = (await moved.json()) as ServerBody;
    expect(afterMove.catalog.status).toBe("ok");
    expect(afterMove.tools.map((tool) => tool.name)).toContain("echo");

    const disabled = (await (
      await api(`/api/v1/servers/${server.id}/disable`, { method: "POST" })
    ).json()) as ServerBody;
    expect(disabled.enabled).toBe(false);
    const listed = (await (await api(`/api/v1/servers?enabled=false&path=${server.path}`)).json()) as {
      items: ServerBody[];
    };
    expect(listed.items.map((item) => item.id)).toEqual([server.id]);
    const enabled = (await (
      await api(`/api/v1/servers/${server.id}/enable`, { method: "POST" })
    ).json()) as ServerBody;
    expect(enabled.enabled).toBe(true);

    const refreshed = await api(`/api/v1/servers/${server.id}/refresh`, { method: "POST" });
    expect(refreshed.status).toBe(200);
    expect(((await refreshed.json()) as ServerBody).catalog.status).toBe("ok");

    expect((await api(`/api/v1/servers/${server.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/api/v1/servers/${server.id}`)).status).toBe(404);
    expect((await api(`/api/v1/servers/${server.id}/tools`)).status).toBe(404);
  });

  it("keeps the last known catalog when a refresh cannot reach the server", async () => {
    const server = await register();
    // Move it to a dead upstream without losing the record, then refresh.
    const moved = (await (
      await api(`/api/v1/servers/${server.id}`, { method: "PATCH", json: { endpoints: [{ url: DEAD_URL }] } })
    ).json()) as ServerBody;
    expect(moved.catalog.status).toBe("unreachable");
    expect(moved.tools.map((tool) => tool.name)).toEqual(server.tools.map((tool) => tool.name));
    expect(moved.catalog.counts.tools).toBe(server.catalog.counts.tools);
  });

  it("pages through servers with a stable order", async () => {
    const tag = uniquePath("page");
    for (let i = 0; i < 5; i++) await register({ endpoints: [{ url: DEAD_URL }], tags: [tag] });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query = `/api/v1/servers?tag=${tag}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = (await (await api(query)).json()) as { items: ServerBody[]; nextCursor: string | null };
      seen.push(...page.items.map((item) => item.path));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual(seen);
  });
});

describe("bad input is refused clearly and changes nothing", () => {
  const valid = () => ({ name: "Valid", path: uniquePath("bad"), endpoints: [{ url: DEAD_URL }] });

  const cases: { name: string; request: () => Promise<Response>; status: number; fields?: string[] }[] = [
    {
      name: "missing required fields",
      request: () => api("/api/v1/servers", { method: "POST", json: {} }),
      status: 422,
      fields: ["endpoints", "name", "path"],
    },
    {
      name: "wrong types and bad values",
      request: () =>
        api("/api/v1/servers", {
          method: "POST",
          json: { ...valid(), name: 42, tags: "x", enabled: "yes", timeoutMs: 5 },
        }),
      status: 422,
      fields: ["enabled", "name", "tags", "timeoutMs"],
    },
    {
      name: "an invalid URL",
      request: () =>
        api("/api/v1/servers", { method: "POST", json: { ...valid(), endpoints: [{ url: "not a url" }] } }),
      status: 422,
      fields: ["endpoints.0.url"],
    },
    {
      name: "a non-http URL scheme",
      request: () =>
        api("/api/v1/servers", {
          method: "POST",
          json: { ...valid(), endpoints: [{ url: "file:///etc/passwd" }] },
        }),
      status: 422,
      fields: ["endpoints.0.url"],
    },
    {
      name: "credentials inside the URL",
      request: () =>
        api("/api/v1/servers", {
          method: "POST",
          json: { ...valid(), endpoints: [{ url: "https://user:pw@example.com/mcp" }] },
        }),
      status: 422,
      fields: ["endpoints.0.url"],
    },
    {
      name: "an unknown transport",
      request: () =>
        api("/api/v1/servers", {
          method: "POST",
          json: { ...valid(), endpoints: [{ url: DEAD_URL, transport: "websocket" }] },
        }),
      status: 422,
      fields: ["endpoints.0.transport"],
    },
    {
      name: "no endpoints",
      request: () => api("/api/v1/servers", { method: "POST", json: { ...valid(), endpoints: [] } }),
      status: 422,
      fields: ["endpoints"],
    },
    {
      name: "an unknown field",
      request: () => api("/api/v1/servers", { method: "POST", json: { ...valid(), bogus: 1 } }),
      status: 422,
      fields: ["bogus"],
    },
    {
      name: "a reserved path",
      request: () => api("/api/v1/servers", { method: "POST", json: { ...valid(), path: "api" } }),
      status: 422,
      fields: ["path"],
    },
    {
      name: "a path with bad characters",
      request: () => api("/api/v1/servers", { method: "POST", json: { ...valid(), path: "Has Space/" } }),
      status: 422,
      fields: ["path"],
    },
    {
      name: "a secret value where a secret name belongs",
      request: () =>
        api("/api/v1/servers", {
          method: "POST",
          json: { ...valid(), egress: { type: "bearer", secret: "ghp_realLookingToken123" } },
        }),
      status: 422,
      fields: ["egress.secret"],
    },
    {
      name: "a body that is not JSON",
      request: () =>
        api("/api/v1/servers", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{not json",
        }),
      status: 400,
    },
    {
      name: "a JSON array body",
      request: () => api("/api/v1/servers", { method: "POST", json: [valid()] }),
      status: 422,
    },
    {
      name: "a non-JSON media type",
      request: () =>
        api("/api/v1/servers", {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: JSON.stringify(valid()),
        }),
      status: 415,
    },
    {
      name: "no body at all",
      request: () => api("/api/v1/servers", { method: "POST" }),
      status: 415,
    },
    {
      name: "an oversized body",
      request: () =>
        api("/api/v1/servers", {
          method: "POST",
          json: { ...valid(), description: "x".repeat(2 * 1024 * 1024) },
        }),
      status: 413,
    },
    {
      name: "an empty patch",
      request: async () => {
        const [id] = await listIds();
        return api(`/api/v1/servers/${id}`, { method: "PATCH", json: {} });
      },
      status: 422,
    },
    {
      name: "a patch of a read-only field",
      request: async () => {
        const [id] = await listIds();
        return api(`/api/v1/servers/${id}`, { method: "PATCH", json: { owner: "mallory" } });
      },
      status: 422,
      fields: ["owner"],
    },
    {
      name: "an invalid list query",
      request: () => api("/api/v1/servers?limit=0&enabled=maybe"),
      status: 400,
      fields: ["query.enabled", "query.limit"],
    },
    {
      name: "a forged cursor",
      request: () => api("/api/v1/servers?cursor=forged"),
      status: 400,
      fields: ["cursor"],
    },
    { name: "an unknown id", request: () => api("/api/v1/servers/does-not-exist"), status: 404 },
    {
      name: "patching an unknown id",
      request: () => api("/api/v1/servers/does-not-exist", { method: "PATCH", json: { name: "x" } }),
      status: 404,
    },
    {
      name: "deleting an unknown id",
      request: () => api("/api/v1/servers/nope", { method: "DELETE" }),
      status: 404,
    },
    {
      name: "refreshing an unknown id",
      request: () => api("/api/v1/servers/nope/refresh", { method: "POST" }),
      status: 404,
    },
    { name: "an unknown route", request: () => api("/api/v1/nothing-here"), status: 404 },
  ];

  for (const testCase of cases) {
    it(`${testCase.name} → ${testCase.status}`, async () => {
      await register({ endpoints: [{ url: DEAD_URL }] });
      const before = await listIds();
      const response = await testCase.request();
      expect(response.status).toBe(testCase.status);
      const problem = await problemOf(response);
      expect(problem.status).toBe(testCase.status);
      expect(problem.type).toMatch(/^urn:mcp-gateway:problem:/);
      expect(problem.title).toBeTruthy();
      if (testCase.fields) expect(fieldsOf(problem)).toEqual(testCase.fields);
      expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts:\d+|stack/i);
      expect(await listIds()).toEqual(before);
    });
  }

  it("refuses a duplicate path with 409 and keeps the first server", async () => {
    const first = await register();
    const before = await listIds();
    const response = await api("/api/v1/servers", {
      method: "POST",
      json: { name: "Copy", path: first.path, endpoints: [{ url: DEAD_URL }] },
    });
    expect(response.status).toBe(409);
    expect(fieldsOf(await problemOf(response))).toEqual(["path"]);
    expect(await listIds()).toEqual(before);
    const kept = (await (await api(`/api/v1/servers/${first.id}`)).json()) as ServerBody;
    expect(kept.name).toBe(first.name);
  });

  it("refuses moving a server onto a taken path", async () => {
    const a = await register({ endpoints: [{ url: DEAD_URL }] });
    const b = await register({ endpoints: [{ url: DEAD_URL }] });
    const response = await api(`/api/v1/servers/${b.id}`, { method: "PATCH", json: { path: a.path } });
    expect(response.status).toBe(409);
    const kept = (await (await api(`/api/v1/servers/${b.id}`)).json()) as ServerBody;
    expect(kept.path).toBe(b.path);
  });
});

describe("authentication (interim admin credential)", () => {
  for (const [name, headers] of [
    ["no credential", { authorization: "" }],
    ["a wrong credential", { authorization: "Bearer wrong-token-wrong-token-wrong-token" }],
    ["a non-bearer scheme", { authorization: "Basic YWRtaW46YWRtaW4=" }],
  ] as const) {
    it(`refuses ${name} with 401 and WWW-Authenticate`, async () => {
      const response = await api("/api/v1/servers", { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect((await problemOf(response)).status).toBe(401);
    });
  }

  it("refuses writes without a credential before reading the body", async () => {
    const before = await listIds();
    const response = await api("/api/v1/servers", {
      method: "POST",
      headers: { authorization: "" },
      json: { name: "x", path: uniquePath(), endpoints: [{ url: DEAD_URL }] },
    });
    expect(response.status).toBe(401);
    expect(await listIds()).toEqual(before);
  });
});

describe("OpenAPI document", () => {
  it("describes the API from the same schemas", async () => {
    const response = await api("/api/v1/openapi.json", { headers: { authorization: "" } });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/servers", "/servers/{id}", "/servers/{id}/refresh", "/servers/{id}/tools"]),
    );
    expect(Object.keys(doc.paths["/servers/{id}"] ?? {})).toEqual(
      expect.arrayContaining(["get", "patch", "delete"]),
    );
    const create = doc.components.schemas.ServerCreate;
    expect(create?.required).toEqual(expect.arrayContaining(["name", "path", "endpoints"]));
    expect(Object.keys(create?.properties ?? {})).toContain("egress");
  });
});
