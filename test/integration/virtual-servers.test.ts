// Virtual servers inside workerd with real D1 and real upstreams on loopback
// (server-everything over Streamable HTTP, the demo backend): the REST API
// and its refusals, and /v/{name}/mcp through real MCP clients, the SDK v2
// client (stateless 2026-07-28) and the 1.x SDK client (session-based).
import { ProtocolError } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { api, BASE, devAdminToken, problemOf, uniquePath } from "../support/api.ts";
import { gatewayFetch, grantScope, legacyClient, modernClient } from "../support/gateway-clients.ts";
import { messagesOf, postMcp, rpc } from "../support/mcp-http.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";
import { legacySseClient as legacySseOver } from "../support/sdk-client.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const LIMITED_GROUP = "virtual-bot";

let adminToken: string;
let limitedToken: string;
const paths = { everything: "", demo: "" };

async function register(path: string, url: string) {
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url }] },
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

interface VirtualView {
  id: string;
  name: string;
  endpoint: string;
  enabled: boolean;
  mode: string;
  tools: { server: string; tool: string; name?: string }[];
}

async function createVirtual(body: Record<string, unknown>): Promise<VirtualView> {
  const response = await api("/api/v1/virtual-servers", { method: "POST", json: body });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as VirtualView;
}

async function listVirtual(): Promise<VirtualView[]> {
  return ((await (await api("/api/v1/virtual-servers")).json()) as { items: VirtualView[] }).items;
}

beforeAll(async () => {
  adminToken = await devAdminToken();
  paths.everything = uniquePath("vev");
  paths.demo = uniquePath("vdemo");
  await Promise.all([
    register(paths.everything, upstreams.everythingStreamableUrl),
    register(paths.demo, upstreams.demoUrl),
  ]);

  // A bot that may call everything's echo only (and nothing of the demo server).
  await grantScope(LIMITED_GROUP, "virtual-limited", [
    { server: paths.everything, methods: ["tools/call"], tools: ["echo"] },
  ]);
  const limited: Principal = principal({ tenant: "default", groups: [LIMITED_GROUP] });
  limitedToken = tokenFor(limited);
});

const legacySseClient = (endpoint: string, token = adminToken) => legacySseOver(endpoint, token);

function textOf(result: unknown): string {
  return (((result as { content?: unknown }).content ?? []) as { text?: string }[])
    .map((block) => block.text ?? "")
    .join("\n");
}

function curated(name: string) {
  return {
    name,
    description: "echo and word count",
    tools: [
      { server: paths.everything, tool: "echo" },
      { server: paths.everything, tool: "get-sum", name: "add", description: "Adds two numbers" },
      { server: paths.demo, tool: "word_count" },
    ],
    resources: [{ server: paths.everything, uri: "demo://resource/dynamic/text/{resourceId}" }],
    prompts: [{ server: paths.everything, prompt: "simple-prompt", name: "hello" }],
  };
}

describe("REST API", () => {
  it("creates, reads, lists, changes, disables, enables and deletes a virtual server", async () => {
    const name = uniquePath("vs");
    const created = await createVirtual(curated(name));
    expect(created).toMatchObject({ name, enabled: true, mode: "tools", endpoint: `/v/${name}/mcp` });
    expect(created.tools[0]).toEqual({ server: paths.everything, tool: "echo" });

    const fetched = await api(`/api/v1/virtual-servers/${created.id}`);
    expect(await fetched.json()).toEqual(created);
    expect((await listVirtual()).map((item) => item.id)).toContain(created.id);

    const patched = await api(`/api/v1/virtual-servers/${created.id}`, {
      method: "PATCH",
      json: { mode: "discovery", description: "changed" },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      mode: "discovery",
      description: "changed",
      tools: created.tools,
    });

    const disabled = await api(`/api/v1/virtual-servers/${created.id}/disable`, { method: "POST" });
    expect(((await disabled.json()) as VirtualView).enabled).toBe(false);
    const unreachable = await postMcp(`${BASE}/v/${name}/mcp`, rpc("tools/list"), {
      token: adminToken,
      headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
    });
    expect(unreachable.status).toBe(404);
    const enabled = await api(`/api/v1/virtual-servers/${created.id}/enable`, { method: "POST" });
    expect(((await enabled.json()) as VirtualView).enabled).toBe(true);

    expect((await api(`/api/v1/virtual-servers/${created.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/api/v1/virtual-servers/${created.id}`)).status).toBe(404);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await api("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/virtual-servers",
        "/virtual-servers/{id}",
        "/virtual-servers/{id}/enable",
        "/virtual-servers/{id}/disable",
      ]),
    );
  });

  it("has RFC 9728 metadata like any MCP endpoint", async () => {
    const name = uniquePath("vsmeta");
    await createVirtual(curated(name));
    const response = await gatewayFetch(`${BASE}/.well-known/oauth-protected-resource/v/${name}/mcp`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ resource: `${BASE}/v/${name}/mcp`, resource_name: name });
    const unknown = await gatewayFetch(`${BASE}/.well-known/oauth-protected-resource/v/nope-none/mcp`);
    expect(unknown.status).toBe(404);
  });
});

/** Posts `body`, expects `status` and an unchanged list of virtual servers; the problem it got. */
async function refusedWith(body: Record<string, unknown>, status: number) {
  const before = await listVirtual();
  const response = await api("/api/v1/virtual-servers", { method: "POST", json: body });
  expect(response.status).toBe(status);
  const problem = await problemOf(response);
  expect(await listVirtual()).toEqual(before);
  return problem;
}

describe("bad input: refused with the item named, nothing stored", () => {
  it("an unknown server: 422 naming it", async () => {
    const problem = await refusedWith(
      { name: uniquePath("vsbad"), tools: [{ server: "no-such-server", tool: "echo" }] },
      422,
    );
    expect(problem.errors).toEqual([{ field: "tools.0.server", message: 'no server "no-such-server"' }]);
  });

  it("an unknown tool: 422 naming it", async () => {
    const problem = await refusedWith(
      {
        name: uniquePath("vsbad"),
        tools: [
          { server: paths.everything, tool: "echo" },
          { server: paths.everything, tool: "no_such_tool" },
        ],
      },
      422,
    );
    expect(problem.errors).toEqual([
      { field: "tools.1.tool", message: `tool "no_such_tool" not found on "${paths.everything}"` },
    ]);
  });

  it("two tools exposed under one name: 409 naming it", async () => {
    const problem = await refusedWith(
      {
        name: uniquePath("vsbad"),
        tools: [
          { server: paths.everything, tool: "echo" },
          { server: paths.demo, tool: "word_count", name: "echo" },
        ],
      },
      409,
    );
    expect(problem.detail).toContain('"echo"');
    expect(problem.errors?.[0]?.field).toBe("tools.1.name");
  });

  it("a name that is a server's path: 409", async () => {
    const problem = await refusedWith({ name: paths.everything, tools: [] }, 409);
    expect(problem.errors?.[0]).toMatchObject({ field: "name" });
  });

  it("a server path that is a virtual server's name: 409, no server stored", async () => {
    const name = uniquePath("vsclash");
    const created = await createVirtual({ name, tools: [] });
    const body = { name, path: name, endpoints: [{ url: upstreams.everythingStreamableUrl }] };
    const response = await api("/api/v1/servers", { method: "POST", json: body });
    expect(response.status).toBe(409);
    expect((await problemOf(response)).errors?.[0]).toMatchObject({ field: "path" });
    // Nothing was stored: once the virtual server is gone the path is free.
    expect((await api(`/api/v1/virtual-servers/${created.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api("/api/v1/servers", { method: "POST", json: body })).status).toBe(201);
  });

  it("a taken name: 409; a bad field: 422 naming it", async () => {
    const name = uniquePath("vsdup");
    await createVirtual({ name, tools: [] });
    await refusedWith({ name, tools: [] }, 409);
    const problem = await refusedWith({ name: "Bad Name", tools: [], mode: "everything" }, 422);
    expect(problem.errors?.map((error) => error.field)).toEqual(expect.arrayContaining(["name", "mode"]));
  });

  it("a PATCH that fails leaves the record unchanged", async () => {
    const created = await createVirtual(curated(uniquePath("vspatch")));
    const response = await api(`/api/v1/virtual-servers/${created.id}`, {
      method: "PATCH",
      json: { description: "lost", tools: [{ server: paths.everything, tool: "nope" }] },
    });
    expect(response.status).toBe(422);
    expect(await (await api(`/api/v1/virtual-servers/${created.id}`)).json()).toEqual(created);
  });
});

describe("/v/{name}/mcp", () => {
  let name = "";
  beforeAll(async () => {
    name = uniquePath("vsmcp");
    await createVirtual(curated(name));
  });

  it("an SDK v2 client (2026-07-28) lists exactly the exposed items and calls through", async () => {
    const client = await modernClient(`/v/${name}/mcp`, adminToken, "virtual-test-v2");
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["add", "echo", "word_count"]);
    expect(tools.find((tool) => tool.name === "add")?.description).toBe("Adds two numbers");
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "virtual hi" } }))).toContain(
      "virtual hi",
    );
    expect(textOf(await client.callTool({ name: "add", arguments: { a: 2, b: 3 } }))).toContain("5");
    const counted = await client.callTool({ name: "word_count", arguments: { text: "a b c" } });
    expect(counted.structuredContent).toMatchObject({ words: 3 });

    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((entry) => entry.uriTemplate)).toEqual([
      "demo://resource/dynamic/text/{resourceId}",
    ]);
    const read = await client.readResource({ uri: "demo://resource/dynamic/text/7" });
    expect(read.contents[0]?.uri).toBe("demo://resource/dynamic/text/7");
    await expect(client.readResource({ uri: "demo://resource/static/document/x" })).rejects.toThrow(
      /not found/i,
    );
    expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual(["hello"]);
    expect((await client.getPrompt({ name: "hello" })).messages.length).toBeGreaterThan(0);
    await expect(client.callTool({ name: `${paths.everything}__echo`, arguments: {} })).rejects.toThrow(
      /unknown tool/i,
    );
    await client.close();
  });

  it("an SDK 1.x client gets a session, lists and calls through", async () => {
    const { client, transport } = await legacyClient(`/v/${name}/mcp`, adminToken, "virtual-test-v1");
    expect(transport.sessionId).toMatch(/^[0-9a-f]{64}$/);
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      "add",
      "echo",
      "word_count",
    ]);
    const result = await client.callTool({ name: "echo", arguments: { message: "session hi" } });
    expect(textOf(result)).toContain("session hi");
    expect(client.getServerVersion()?.name).toBe(name);
    await transport.terminateSession();
    await client.close();
  });

  it("an SDK 1.x client over legacy HTTP+SSE (/v/{name}/sse) lists and calls through", async () => {
    const { client } = await legacySseClient(`/v/${name}/sse`);
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      "add",
      "echo",
      "word_count",
    ]);
    const result = await client.callTool({ name: "echo", arguments: { message: "over sse" } });
    expect(textOf(result)).toContain("over sse");
    expect(textOf(await client.callTool({ name: "add", arguments: { a: 4, b: 5 } }))).toContain("9");
    expect((await client.getPrompt({ name: "hello" })).messages.length).toBeGreaterThan(0);
    await expect(client.callTool({ name: "missing", arguments: {} })).rejects.toThrow(/unknown tool/i);
    expect(client.getServerVersion()?.name).toBe(name);
    await client.close();
  });

  it("legacy HTTP+SSE keeps access and sessions to their caller", async () => {
    const limited = await legacySseClient(`/v/${name}/sse`, limitedToken);
    expect((await limited.client.listTools()).tools.map((tool) => tool.name)).toEqual(["echo"]);
    // Another identity cannot post into the limited caller's stream.
    const intruder = await gatewayFetch(`${BASE}${limited.endpoint}`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(rpc("tools/list", {}, 9)),
    });
    expect(intruder.status).toBe(404);
    await intruder.body?.cancel();
    await limited.client.close();
    const unknown = await gatewayFetch(`${BASE}/v/${uniquePath("none")}/sse`, {
      headers: { authorization: `Bearer ${adminToken}`, accept: "text/event-stream" },
    });
    expect(unknown.status).toBe(404);
    await unknown.body?.cancel();
  });

  it("a session opened at /mcp is not one of the virtual server's, and vice versa", async () => {
    const { client, transport } = await legacyClient(`/v/${name}/mcp`, adminToken, "virtual-test-v1");
    const session = transport.sessionId ?? "";
    const elsewhere = await postMcp(`${BASE}/mcp`, rpc("tools/list"), { token: adminToken, session });
    expect(elsewhere.status).toBe(404);
    const other = await postMcp(`${BASE}/v/${uniquePath("none")}/mcp`, rpc("tools/list"), {
      token: adminToken,
      session,
    });
    expect(other.status).toBe(404);
    await client.close();
  });

  it("never widens access: a caller sees and calls only what its own grants allow", async () => {
    const client = await modernClient(`/v/${name}/mcp`, limitedToken, "virtual-test-v2");
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["echo"]);
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "ok" } }))).toContain("ok");
    const refusal = await client
      .callTool({ name: "word_count", arguments: { text: "a" } })
      .catch((error) => error);
    expect(refusal).toBeInstanceOf(ProtocolError);
    expect((refusal as ProtocolError).code).toBe(-32003);
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([]);
    await expect(client.readResource({ uri: "demo://resource/dynamic/text/7" })).rejects.toThrow(
      /not found/i,
    );
    await expect(client.getPrompt({ name: "hello" })).rejects.toThrow();
    await client.close();

    const session = await legacyClient(`/v/${name}/mcp`, limitedToken, "virtual-test-v1");
    expect((await session.client.listTools()).tools.map((tool) => tool.name)).toEqual(["echo"]);
    await session.client.close();
  });

  it("discovery mode exposes discover_tools and invoke_tool, scoped to its tools", async () => {
    const discovery = uniquePath("vsdisc");
    await createVirtual({ ...curated(discovery), mode: "discovery" });
    const client = await modernClient(`/v/${discovery}/mcp`, adminToken, "virtual-test-v2");
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
      "discover_tools",
      "invoke_tool",
    ]);
    const found = await client.callTool({
      name: "discover_tools",
      arguments: { query: "count the words in a text" },
    });
    const hits = (found.structuredContent as { tools: { name: string }[] }).tools.map((hit) => hit.name);
    expect(hits).toContain("word_count");
    // Tools of the same servers that the virtual server does not include are never found.
    const other = await client.callTool({
      name: "discover_tools",
      arguments: { query: "long running operation" },
    });
    expect(JSON.stringify(other.structuredContent)).not.toContain("long-running");
    const invoked = await client.callTool({
      name: "invoke_tool",
      arguments: { tool: "add", arguments: { a: 1, b: 1 } },
    });
    expect(textOf(invoked)).toContain("2");
    await expect(
      client.callTool({ name: "invoke_tool", arguments: { tool: "trigger-long-running-operation" } }),
    ).rejects.toThrow(/unknown tool/i);
    await client.close();
  });

  it("unknown virtual server: 404", async () => {
    const response = await postMcp(`${BASE}/v/${uniquePath("none")}/mcp`, rpc("initialize", {}), {
      token: adminToken,
    });
    expect(response.status).toBe(404);
    const [reply] = await messagesOf(response).catch(() => [undefined]);
    expect(reply?.error?.message ?? "").toMatch(/virtual server/i);
  });
});

describe('a server taken whole ("tool": "*", "uri": "*", "prompt": "*")', () => {
  const whole = { probe: "", probeTwin: "" };
  let name = "";
  const probeCalls = async (tool: string) => {
    const stats = (await (await fetch(`${upstreams.probeUrl}/stats`)).json()) as {
      calls: Record<string, number>;
    };
    return stats.calls[tool] ?? 0;
  };
  /** The probe's tools/list, straight from the probe (what the wildcard must show). */
  const probeTools = async () => {
    const response = await fetch(`${upstreams.probeUrl}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(rpc("tools/list")),
    });
    const [reply] = await messagesOf(response);
    const tools = (reply?.result as { tools?: { name: string }[] } | undefined)?.tools ?? [];
    return tools.map((tool) => tool.name).sort();
  };

  beforeAll(async () => {
    whole.probe = uniquePath("vwprobe");
    whole.probeTwin = uniquePath("vwtwin");
    await Promise.all([
      register(whole.probe, `${upstreams.probeUrl}/mcp`),
      register(whole.probeTwin, `${upstreams.probeUrl}/mcp`),
    ]);
    name = uniquePath("vswhole");
    await createVirtual({
      name,
      tools: [
        { server: whole.probe, tool: "*" },
        // An explicit item's exposed name wins over the wildcard's tool of that name.
        { server: paths.everything, tool: "echo", name: "echo_headers" },
      ],
      resources: [{ server: paths.everything, uri: "*" }],
      prompts: [{ server: paths.everything, prompt: "*" }],
    });
  });

  it("lists every tool of the server under its own name (an explicit name wins), on both generations", async () => {
    const expected = await probeTools();
    expect(expected).toContain("echo_headers");
    const client = await modernClient(`/v/${name}/mcp`, adminToken, "virtual-whole-v2");
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(expected);
    // echo_headers is everything's echo here, not the probe's.
    const echoed = await client.callTool({ name: "echo_headers", arguments: { message: "explicit wins" } });
    expect(textOf(echoed)).toContain("explicit wins");
    await client.close();

    const { client: session } = await legacyClient(`/v/${name}/mcp`, adminToken, "virtual-whole-v1");
    expect((await session.listTools()).tools.map((tool) => tool.name).sort()).toEqual(expected);
    await session.close();
  });

  it("takes resources and prompts whole too: lists the server's, reads and gets through", async () => {
    const client = await modernClient(`/v/${name}/mcp`, adminToken, "virtual-whole-v2");
    const direct = await modernClient(`/${paths.everything}/mcp`, adminToken, "virtual-whole-direct");
    const names = (prompts: { name: string }[]) => prompts.map((prompt) => prompt.name).sort();
    expect(names((await client.listPrompts()).prompts)).toEqual(names((await direct.listPrompts()).prompts));
    expect((await client.getPrompt({ name: "simple-prompt" })).messages.length).toBeGreaterThan(0);
    const templates = (await client.listResourceTemplates()).resourceTemplates.map(
      (entry) => entry.uriTemplate,
    );
    expect(templates).toContain("demo://resource/dynamic/text/{resourceId}");
    const read = await client.readResource({ uri: "demo://resource/dynamic/text/3" });
    expect(read.contents[0]?.uri).toBe("demo://resource/dynamic/text/3");
    await Promise.all([client.close(), direct.close()]);
  });

  it("a call of a tool the server does not list reaches it, on both generations", async () => {
    const hidden = `hidden_${crypto.randomUUID().slice(0, 8)}`;
    const client = await modernClient(`/v/${name}/mcp`, adminToken, "virtual-whole-v2");
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain(hidden);
    expect(textOf(await client.callTool({ name: hidden, arguments: {} }))).toBe(`${hidden} ran`);
    await client.close();
    const { client: session } = await legacyClient(`/v/${name}/mcp`, adminToken, "virtual-whole-v1");
    expect(textOf(await session.callTool({ name: hidden, arguments: {} }))).toBe(`${hidden} ran`);
    await session.close();
    expect(await probeCalls(hidden)).toBe(2);
  });

  it("never widens access: a caller without the grant sees none of it and its calls never reach the server", async () => {
    const hidden = `hidden_${crypto.randomUUID().slice(0, 8)}`;
    const client = await modernClient(`/v/${name}/mcp`, limitedToken, "virtual-whole-v2");
    // The limited bot may call everything's echo only: here that is the explicit "echo_headers".
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["echo_headers"]);
    for (const tool of [hidden, "slow_count"]) {
      const refusal = await client.callTool({ name: tool, arguments: {} }).catch((error) => error);
      expect(refusal).toBeInstanceOf(ProtocolError);
      expect((refusal as ProtocolError).code).toBe(-32003);
    }
    expect((await client.listPrompts()).prompts).toEqual([]);
    await expect(client.getPrompt({ name: "simple-prompt" })).rejects.toThrow();
    await expect(client.readResource({ uri: "demo://resource/dynamic/text/3" })).rejects.toThrow(
      /not found/i,
    );
    await client.close();
    expect(await probeCalls(hidden)).toBe(0);
  });

  it("two servers taken whole: an unlisted name is unknown (-32602), a listed one goes to its server", async () => {
    const other = uniquePath("vswhole2");
    await createVirtual({
      name: other,
      tools: [
        { server: whole.probe, tool: "*" },
        { server: paths.demo, tool: "*" },
      ],
    });
    const hidden = `hidden_${crypto.randomUUID().slice(0, 8)}`;
    const client = await modernClient(`/v/${other}/mcp`, adminToken, "virtual-whole-v2");
    const refusal = await client.callTool({ name: hidden, arguments: {} }).catch((error) => error);
    expect((refusal as ProtocolError).code).toBe(-32602);
    expect(await probeCalls(hidden)).toBe(0);
    const counted = await client.callTool({ name: "word_count", arguments: { text: "a b" } });
    expect(counted.structuredContent).toMatchObject({ words: 2 });
    await client.close();
  });

  describe("bad input: refused with the item named, nothing stored", () => {
    it("a rename or description on a wildcard item: 422 naming the field", async () => {
      const problem = await refusedWith(
        {
          name: uniquePath("vwbad"),
          tools: [{ server: whole.probe, tool: "*", name: "renamed", description: "x" }],
          prompts: [{ server: paths.everything, prompt: "*", name: "renamed" }],
        },
        422,
      );
      expect(problem.errors?.map((error) => error.field).sort()).toEqual([
        "prompts.0.name",
        "tools.0.description",
        "tools.0.name",
      ]);
    });

    it("a wildcard over an unknown server: 422 naming it", async () => {
      const problem = await refusedWith(
        { name: uniquePath("vwbad"), resources: [{ server: "no-such-server", uri: "*" }] },
        422,
      );
      expect(problem.errors).toEqual([
        { field: "resources.0.server", message: 'no server "no-such-server"' },
      ]);
    });

    it("one server taken whole twice, or two whose catalogs share a name: 409 naming it", async () => {
      const twice = await refusedWith(
        {
          name: uniquePath("vwbad"),
          tools: [
            { server: whole.probe, tool: "*" },
            { server: whole.probe, tool: "*" },
          ],
        },
        409,
      );
      expect(twice.errors?.[0]?.field).toBe("tools.1.server");
      const shared = await refusedWith(
        {
          name: uniquePath("vwbad"),
          tools: [
            { server: whole.probe, tool: "*" },
            { server: whole.probeTwin, tool: "*" },
          ],
        },
        409,
      );
      expect(shared.errors?.[0]?.field).toBe("tools.1.tool");
      expect(shared.detail).toContain('"echo_headers"');
    });

    it("a PATCH to a bad wildcard leaves the record unchanged", async () => {
      const created = await createVirtual({
        name: uniquePath("vwpatch"),
        tools: [{ server: whole.probe, tool: "*" }],
      });
      const response = await api(`/api/v1/virtual-servers/${created.id}`, {
        method: "PATCH",
        json: { tools: [{ server: whole.probe, tool: "*", name: "x" }] },
      });
      expect(response.status).toBe(422);
      expect(await (await api(`/api/v1/virtual-servers/${created.id}`)).json()).toEqual(created);
    });
  });
});
