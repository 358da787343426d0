// The MCP Registry API (/v0.1, /v0) inside workerd: real D1, real MCP
// servers behind the registrations, and every answer validated against the
// pinned openapi.yaml components and server.schema.json.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import worker from "../../worker/index.ts";
import { defaultNamespace } from "../../worker/registry/registry-names.ts";
import { api, BASE, problemOf } from "../support/api.ts";
import { TEST_PUBLIC_URL } from "../support/idp-shared.ts";
import { registryErrors } from "../support/registry-schemas.ts";
import { idpToken } from "../support/tokens.ts";

const { everythingStreamableUrl, everythingSseUrl } = inject("upstreams");
const NAMESPACE = defaultNamespace(TEST_PUBLIC_URL);

interface ServerResponse {
  server: {
    name: string;
    description: string;
    version: string;
    title?: string;
    remotes: { type: string; url: string }[];
  };
  _meta: Record<string, Record<string, unknown>>;
}
interface ServerList {
  servers: ServerResponse[];
  metadata: { count: number; nextCursor?: string };
}

async function registryGet(path: string, init: RequestInit = {}): Promise<Response> {
  return api(path, init);
}

async function listOf(path: string): Promise<ServerList> {
  const response = await registryGet(path);
  expect(response.status, await response.clone().text()).toBe(200);
  const body = (await response.json()) as ServerList;
  expect(registryErrors("ServerList", body)).toEqual([]);
  return body;
}

async function register(body: Record<string, unknown>): Promise<{ id: string; path: string }> {
  const response = await api("/api/v1/servers", { method: "POST", json: body });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { id: string; path: string };
}

const encoded = (name: string) => encodeURIComponent(name);

describe("the MCP Registry API", () => {
  it("publishes a registered server under namespace/path with remotes at the gateway", async () => {
    await register({
      name: "Weather tools",
      path: "weather",
      description: "Forecasts and alerts",
      version: "1.0.0",
      endpoints: [{ url: everythingStreamableUrl }, { url: everythingSseUrl, transport: "sse" }],
    });
    const list = await listOf("/v0.1/servers?search=weather");
    expect(list.servers).toHaveLength(1);
    const [entry] = list.servers;
    expect(entry?.server).toMatchObject({
      name: `${NAMESPACE}/weather`,
      description: "Forecasts and alerts",
      version: "1.0.0",
      title: "Weather tools",
    });
    expect(entry?.server.remotes).toEqual([
      expect.objectContaining({ type: "streamable-http", url: `${TEST_PUBLIC_URL}/weather/mcp` }),
      expect.objectContaining({ type: "sse", url: `${TEST_PUBLIC_URL}/weather/sse` }),
    ]);
    expect(entry?._meta["io.modelcontextprotocol.registry/official"]).toMatchObject({
      status: "active",
      isLatest: true,
    });
    expect(entry?._meta["io.github.mcp-gateway/provenance"]).toMatchObject({
      origin: NAMESPACE,
      local: true,
    });
  });

  it("keeps old versions listed when the version changes; latest follows the record", async () => {
    const server = await register({
      name: "Versioned",
      path: "versioned",
      description: "First description",
      version: "1.0.0",
      endpoints: [{ url: everythingStreamableUrl }],
    });
    const patch = await api(`/api/v1/servers/${server.id}`, {
      method: "PATCH",
      json: { version: "1.1.0", description: "Second description" },
    });
    expect(patch.status).toBe(200);
    const name = `${NAMESPACE}/versioned`;

    const versions = await listOf(`/v0.1/servers/${encoded(name)}/versions`);
    expect(versions.servers.map((item) => [item.server.version, item.server.description])).toEqual([
      ["1.1.0", "Second description"],
      ["1.0.0", "First description"],
    ]);
    expect(
      versions.servers.map((item) => item._meta["io.modelcontextprotocol.registry/official"]?.isLatest),
    ).toEqual([true, false]);

    for (const [version, expected] of [
      ["1.0.0", "First description"],
      ["latest", "Second description"],
      ["1.1.0", "Second description"],
    ] as const) {
      const response = await registryGet(`/v0.1/servers/${encoded(name)}/versions/${version}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as ServerResponse;
      expect(registryErrors("ServerResponse", body)).toEqual([]);
      expect(body.server.description).toBe(expected);
    }
    // The unencoded two-segment form names the same server.
    const plain = await registryGet(`/v0.1/servers/${name}/versions/1.0.0`);
    expect(((await plain.json()) as ServerResponse).server.version).toBe("1.0.0");

    const latestOnly = await listOf("/v0.1/servers?search=versioned&version=latest");
    expect(latestOnly.servers.map((item) => item.server.version)).toEqual(["1.1.0"]);
    const exact = await listOf("/v0.1/servers?search=versioned&version=1.0.0");
    expect(exact.servers.map((item) => item.server.version)).toEqual(["1.0.0"]);
    const all = await listOf("/v0.1/servers?search=versioned");
    expect(all.servers.map((item) => item.server.version).sort()).toEqual(["1.0.0", "1.1.0"]);
  });

  it("pages with cursors, each page valid, no entry twice, and /v0 answers the same", async () => {
    for (const index of [1, 2, 3]) {
      await register({
        name: `Paged ${index}`,
        path: `paged-${index}`,
        endpoints: [{ url: everythingStreamableUrl }],
      });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listOf(
        `/v0.1/servers?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(page.metadata.count).toBe(page.servers.length);
      seen.push(...page.servers.map((item) => `${item.server.name}@${item.server.version}`));
      cursor = page.metadata.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(new Set(seen).size).toBe(seen.length);
    const whole = await listOf("/v0.1/servers?limit=100");
    expect(seen).toEqual(whole.servers.map((item) => `${item.server.name}@${item.server.version}`));
    expect(seen).toEqual(
      expect.arrayContaining([`${NAMESPACE}/paged-1@0.0.0`, `${NAMESPACE}/paged-3@0.0.0`]),
    );

    const alias = await listOf("/v0/servers?limit=100");
    expect(alias.servers.map((item) => item.server.name)).toEqual(
      whole.servers.map((item) => item.server.name),
    );
  });

  it("filters by updated_since", async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    await register({ name: "Fresh", path: "fresh", endpoints: [{ url: everythingStreamableUrl }] });
    const since = await listOf(`/v0.1/servers?updated_since=${encodeURIComponent(before)}`);
    expect(since.servers.map((item) => item.server.name)).toContain(`${NAMESPACE}/fresh`);
    const future = await listOf("/v0.1/servers?updated_since=2999-01-01T00:00:00Z");
    expect(future.servers).toEqual([]);
  });

  it("publishes an explicit registryName and refuses a second server with it", async () => {
    await register({
      name: "Custom",
      path: "custom-named",
      registryName: "com.example/custom",
      endpoints: [{ url: everythingStreamableUrl }],
    });
    const response = await registryGet(`/v0.1/servers/${encoded("com.example/custom")}/versions/latest`);
    expect(response.status).toBe(200);
    const conflict = await api("/api/v1/servers", {
      method: "POST",
      json: {
        name: "Again",
        path: "custom-again",
        registryName: "com.example/custom",
        endpoints: [{ url: everythingStreamableUrl }],
      },
    });
    expect(conflict.status).toBe(409);
    expect((await problemOf(conflict)).errors?.map((error) => error.field)).toEqual(["registryName"]);
  });

  it("answers unknown names, bad cursors and bad timestamps with problems naming the field", async () => {
    const missing = await registryGet(`/v0.1/servers/${encoded("com.example/nothing")}/versions`);
    expect(missing.status).toBe(404);
    const badCursor = await registryGet("/v0.1/servers?cursor=not-a-cursor");
    expect(badCursor.status).toBe(400);
    expect((await problemOf(badCursor)).errors?.map((error) => error.field)).toEqual(["query.cursor"]);
    const badTime = await registryGet("/v0.1/servers?updated_since=yesterday");
    expect(badTime.status).toBe(400);
    expect((await problemOf(badTime)).errors?.map((error) => error.field)).toEqual(["query.updated_since"]);
  });

  it("checks answers for real: the schema helper refuses a malformed list", () => {
    expect(
      registryErrors("ServerList", { servers: [{ server: { name: "no-slash", version: "1" } }] }),
    ).not.toEqual([]);
  });

  it("hides disabled servers", async () => {
    const server = await register({
      name: "Hidden",
      path: "hidden",
      endpoints: [{ url: everythingStreamableUrl }],
    });
    await api(`/api/v1/servers/${server.id}/disable`, { method: "POST" });
    const list = await listOf("/v0.1/servers?search=hidden");
    expect(list.servers).toEqual([]);
    const detail = await registryGet(`/v0.1/servers/${encoded(`${NAMESPACE}/hidden`)}/versions/latest`);
    expect(detail.status).toBe(404);
  });

  it("applies scopes: a caller sees only servers it may list_service", async () => {
    await register({ name: "Fininfo", path: "fininfo", endpoints: [{ url: everythingStreamableUrl }] });
    const token = await idpToken({ claims: { sub: "finance-bot", groups: ["lob-finance-bot"] } });
    const response = await exports.default.fetch(`${BASE}/v0.1/servers?limit=100`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as ServerList;
    expect(registryErrors("ServerList", body)).toEqual([]);
    expect(body.servers.map((item) => item.server.name)).toEqual([`${NAMESPACE}/fininfo`]);
    const refused = await exports.default.fetch(
      `${BASE}/v0.1/servers/${encoded(`${NAMESPACE}/weather`)}/versions/latest`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(refused.status).toBe(404);
  });

  it("needs a token unless REGISTRY_API_PUBLIC=true; then anonymous callers see public servers only", async () => {
    const anonymous = await exports.default.fetch(`${BASE}/v0.1/servers`);
    expect(anonymous.status).toBe(401);

    const privateServer = await register({
      name: "Private",
      path: "private-one",
      visibility: "private",
      endpoints: [{ url: everythingStreamableUrl }],
    });
    expect(privateServer.path).toBe("private-one");
    const publicEnv = { ...env, REGISTRY_API_PUBLIC: "true" } as Env;
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(`${BASE}/v0.1/servers?limit=100`), publicEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(200);
    const body = (await response.json()) as ServerList;
    expect(registryErrors("ServerList", body)).toEqual([]);
    const names = body.servers.map((item) => item.server.name);
    expect(names).toContain(`${NAMESPACE}/weather`);
    expect(names).not.toContain(`${NAMESPACE}/private-one`);
  });
});
