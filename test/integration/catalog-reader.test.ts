// The catalog reader inside workerd against real `server-everything`
// processes (Streamable HTTP and legacy SSE), plus in-process fakes passed as
// `fetch` for what the real server cannot show: pagination caps, non-MCP
// HTTP servers, JSON-RPC errors and servers that never answer. (A Worker
// cannot listen on a socket, so a fake HTTP server has to be a fetch.)
import { describe, expect, inject, it } from "vitest";
import {
  CatalogUnavailableError,
  type DiscoveredCatalog,
  readCatalog,
  type UpstreamTarget,
} from "../../worker/upstream/catalog-reader.ts";

const TIMEOUT_MS = 10_000;
const SESSION_REVISIONS = ["2025-03-26", "2025-06-18", "2025-11-25"];

const upstreams = inject("upstreams");
const streamable: UpstreamTarget = { url: upstreams.everythingStreamableUrl, transport: "streamable-http" };
const sse: UpstreamTarget = { url: upstreams.everythingSseUrl, transport: "sse" };

describe("inject inside workerd", () => {
  it("hands the test the loopback URLs of both server-everything processes", () => {
    expect(upstreams.everythingStreamableUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(upstreams.everythingSseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sse$/);
  });
});

describe("reading server-everything", () => {
  it("reads the full catalog over Streamable HTTP", async () => {
    expectEverythingCatalog(await readCatalog(streamable, { timeoutMs: TIMEOUT_MS }));
  });

  it("reads the full catalog over legacy HTTP+SSE", async () => {
    expectEverythingCatalog(await readCatalog(sse, { timeoutMs: TIMEOUT_MS }));
  });

  it("sees the same catalog through both transports", async () => {
    const [a, b] = await Promise.all([
      readCatalog(streamable, { timeoutMs: TIMEOUT_MS }),
      readCatalog(sse, { timeoutMs: TIMEOUT_MS }),
    ]);
    expect(namesOf(b.tools, "name")).toEqual(namesOf(a.tools, "name"));
    expect(namesOf(b.resources, "uri")).toEqual(namesOf(a.resources, "uri"));
    expect(namesOf(b.prompts, "name")).toEqual(namesOf(a.prompts, "name"));
  });

  it("gets every resource the server has, counted independently with raw JSON-RPC", async () => {
    const catalog = await readCatalog(streamable, { timeoutMs: TIMEOUT_MS });
    const independent = await rawResourceUris(streamable.url);
    expect(independent.length).toBeGreaterThan(0);
    expect(namesOf(catalog.resources, "uri")).toEqual([...independent].sort());
  });

  it("ends the Streamable HTTP session with DELETE", async () => {
    const recorder = recordingFetch();
    await readCatalog(streamable, { timeoutMs: TIMEOUT_MS, fetch: recorder.fetch });
    // The first POST may be the `server/discover` probe, which opens no session.
    const sessionId = recorder.exchanges.find(
      (e) => e.method === "POST" && e.sessionIdAnswered,
    )?.sessionIdAnswered;
    expect(sessionId).toBeTruthy();
    const deletes = recorder.exchanges.filter((e) => e.method === "DELETE");
    expect(deletes).toEqual([expect.objectContaining({ sessionIdSent: sessionId, status: 200 })]);
    // The server has forgotten the session: a request on it is refused.
    const after = await fetch(streamable.url, {
      method: "POST",
      headers: mcpHeaders(sessionId ?? undefined),
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    });
    await after.body?.cancel();
    expect(after.status).toBe(400);
  });
});

describe("pagination", () => {
  it("follows nextCursor and keeps objects exactly as sent", async () => {
    const tools = Array.from({ length: 5 }, (_, i) => ({
      name: `tool-${i}`,
      inputSchema: { type: "object" },
      "x-vendor": { rank: i },
    }));
    const fake = fakeServer({ tools: {} }, (method, params) => {
      if (method !== "tools/list") return undefined;
      const start = Number(params.cursor ?? 0);
      const next = start + 2 < tools.length ? String(start + 2) : undefined;
      return { tools: tools.slice(start, start + 2), ...(next && { nextCursor: next }) };
    });
    const catalog = await readCatalog(fake.target, { timeoutMs: TIMEOUT_MS, fetch: fake.fetch });
    expect(catalog.tools).toEqual(tools);
    expect(catalog.warnings).toEqual([]);
    expect(fake.methods.filter((m) => m === "tools/list")).toHaveLength(3);
  });

  it("lists only what the server advertises", async () => {
    const fake = fakeServer({ prompts: {} }, (method) =>
      method === "prompts/list" ? { prompts: [{ name: "hello" }] } : undefined,
    );
    const catalog = await readCatalog(fake.target, { timeoutMs: TIMEOUT_MS, fetch: fake.fetch });
    expect(catalog.prompts).toEqual([{ name: "hello" }]);
    expect(catalog.tools).toEqual([]);
    expect(catalog.resources).toEqual([]);
    expect(fake.methods.filter((m) => m.endsWith("/list"))).toEqual(["prompts/list"]);
  });

  it("stops after 100 pages with a warning", async () => {
    const fake = fakeServer({ tools: {} }, (method, params) => {
      const page = Number(params.cursor ?? 0);
      return method === "tools/list"
        ? { tools: [{ name: `t${page}` }], nextCursor: String(page + 1) }
        : undefined;
    });
    const catalog = await readCatalog(fake.target, { timeoutMs: TIMEOUT_MS, fetch: fake.fetch });
    expect(catalog.tools).toHaveLength(100);
    expect(catalog.warnings).toEqual(["tools list truncated after 100 pages"]);
  });

  it("stops at 5,000 items with a warning", async () => {
    const fake = fakeServer({ resources: {} }, (method, params) => {
      if (method === "resources/templates/list") return { resourceTemplates: [] };
      const page = Number(params.cursor ?? 0);
      const resources = Array.from({ length: 3_000 }, (_, i) => ({
        uri: `demo://r/${page}/${i}`,
        name: `r${i}`,
      }));
      return { resources, nextCursor: String(page + 1) };
    });
    const catalog = await readCatalog(fake.target, { timeoutMs: TIMEOUT_MS, fetch: fake.fetch });
    expect(catalog.resources).toHaveLength(5_000);
    expect(catalog.warnings).toEqual(["resources list truncated at 5000 items"]);
  });

  it("stops when a cursor repeats, and skips items without their key", async () => {
    const fake = fakeServer({ prompts: {} }, (method) =>
      method === "prompts/list"
        ? { prompts: [{ name: "a" }, { title: "no name" }], nextCursor: "same" }
        : undefined,
    );
    const catalog = await readCatalog(fake.target, { timeoutMs: TIMEOUT_MS, fetch: fake.fetch });
    expect(catalog.prompts).toEqual([{ name: "a" }, { name: "a" }]);
    expect(catalog.warnings).toEqual([
      "prompts list stopped: the server repeated a pagination cursor",
      "skipped 2 prompts without a name",
    ]);
  });
});

describe("failures", () => {
  it.each([
    ["streamable-http", "http://127.0.0.1:1/mcp"],
    ["sse", "http://127.0.0.1:1/sse"],
  ] as const)("reports a closed port (%s)", async (transport, url) => {
    const reason = await failureOf({ url, transport });
    expect(reason).toMatch(/^connection failed: 127\.0\.0\.1:1: /);
  });

  it.each([
    ["streamable-http", streamable.url.replace(/\/mcp$/, "/nope")],
    ["sse", sse.url.replace(/\/sse$/, "/nope")],
  ] as const)("reports HTTP 404 (%s)", async (transport, url) => {
    expect(await failureOf({ url, transport })).toBe("upstream answered HTTP 404");
  });

  it("reports a real MCP server addressed with the wrong transport", async () => {
    expect(await failureOf({ url: streamable.url, transport: "sse" })).toBe("upstream answered HTTP 400");
    expect(await failureOf({ url: sse.url, transport: "streamable-http" })).toBe(
      "upstream answered HTTP 404",
    );
  });

  it.each(["streamable-http", "sse"] as const)(
    "reports a web page as not an MCP server (%s)",
    async (transport) => {
      const webPage = async () =>
        new Response("<!doctype html><h1>Welcome</h1>", { headers: { "content-type": "text/html" } });
      const reason = await failureOf({ url: "http://web.test/", transport }, webPage);
      expect(reason).toBe("not an MCP server: answered with content-type text/html");
    },
  );

  it("reports a JSON API as not an MCP server", async () => {
    const jsonApi = async () => Response.json({ status: "ok" });
    const reason = await failureOf({ url: "http://api.test/", transport: "streamable-http" }, jsonApi);
    expect(reason).toBe("not an MCP server: the answer to initialize is not a JSON-RPC response");
  });

  it("reports a JSON-RPC error and still ends the session", async () => {
    const fake = fakeServer({ tools: {} }, () => ({ error: { code: -32603, message: "boom" } }));
    const reason = await failureOf(fake.target, fake.fetch);
    expect(reason).toBe("upstream returned JSON-RPC error -32603 on tools/list: boom");
    expect(fake.methods.at(-1)).toBe("DELETE fake-session");
  });

  it("times out against a real server with a tiny budget", async () => {
    // The handshake alone takes longer than 1 ms, but which step the deadline hits may vary.
    expect(await failureOf(streamable, undefined, 1)).toMatch(/^timed out after 1 ms \(during \S+\)$/);
    expect(await failureOf(sse, undefined, 1)).toMatch(/^timed out after 1 ms \(during \S+\)$/);
  });

  it("times out against a server that never answers, within the budget", async () => {
    const silent = (_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const started = Date.now();
    const reason = await failureOf(
      { url: "http://silent.test/mcp", transport: "streamable-http" },
      silent,
      200,
    );
    expect(reason).toBe("timed out after 200 ms (during initialize)");
    expect(Date.now() - started).toBeLessThan(200 + 1_000 + 500);
  });

  it("rejects a URL that is not http(s)", async () => {
    expect(await failureOf({ url: "not a url", transport: "sse" })).toBe("invalid upstream URL");
    expect(await failureOf({ url: "ftp://x.test/", transport: "sse" })).toBe("unsupported URL scheme ftp");
  });
});

// --- helpers ---------------------------------------------------------------

function expectEverythingCatalog(catalog: DiscoveredCatalog): void {
  expect(catalog.serverInfo).toEqual({
    name: "mcp-servers/everything",
    version: expect.any(String),
    title: "Everything Reference Server",
  });
  expect(SESSION_REVISIONS).toContain(catalog.protocolVersion);
  expect(catalog.instructions).toEqual(expect.stringContaining("Everything"));

  const echo = catalog.tools.find((tool) => tool.name === "echo");
  expect(echo).toMatchObject({
    description: expect.any(String),
    inputSchema: { type: "object", properties: { message: { type: "string" } } },
  });
  expect(catalog.tools.length).toBeGreaterThan(5);

  expect(catalog.resources.length).toBeGreaterThan(0);
  for (const resource of catalog.resources) expect(resource.uri).toEqual(expect.any(String));
  expect(namesOf(catalog.resourceTemplates, "uriTemplate")).toContain(
    "demo://resource/dynamic/text/{resourceId}",
  );
  expect(catalog.prompts.length).toBeGreaterThan(0);
  for (const prompt of catalog.prompts) expect(prompt.name).toEqual(expect.any(String));
  expect(catalog.warnings).toEqual([]);
}

function namesOf(items: Record<string, unknown>[], key: string): string[] {
  return items.map((item) => String(item[key])).sort();
}

/** The reason of the CatalogUnavailableError that `readCatalog` must throw. */
async function failureOf(
  target: UpstreamTarget,
  fetchImpl?: typeof fetch,
  timeoutMs = TIMEOUT_MS,
): Promise<string> {
  const error = await readCatalog(target, { timeoutMs, ...(fetchImpl && { fetch: fetchImpl }) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CatalogUnavailableError);
  const reason = (error as CatalogUnavailableError).reason;
  expect(reason).not.toMatch(/\n|\bat \S+:\d+/);
  return reason;
}

function mcpHeaders(sessionId?: string): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(sessionId && { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" }),
  };
}

interface RpcAnswer {
  result?: { resources?: { uri: string }[]; nextCursor?: string };
}

/** Result of a JSON-RPC POST answered either as JSON or as a one-message SSE stream. */
async function rpcAnswer(response: Response): Promise<RpcAnswer> {
  const text = await response.text();
  if (!response.headers.get("content-type")?.includes("text/event-stream"))
    return JSON.parse(text) as RpcAnswer;
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trim());
  return JSON.parse(data.at(-1) ?? "{}") as RpcAnswer;
}

/** Every resource URI of a Streamable HTTP server, read by hand: initialize, then resources/list page by page. */
async function rawResourceUris(url: string): Promise<string[]> {
  const post = (body: unknown, sessionId?: string) =>
    fetch(url, { method: "POST", headers: mcpHeaders(sessionId), body: JSON.stringify(body) });
  const initialize = await post({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
  });
  const sessionId = initialize.headers.get("mcp-session-id") ?? undefined;
  await rpcAnswer(initialize);
  await (await post({ jsonrpc: "2.0", method: "notifications/initialized" }, sessionId)).body?.cancel();

  const uris: string[] = [];
  let cursor: string | undefined;
  for (let id = 2; id < 100; id++) {
    const answer = await rpcAnswer(
      await post(
        { jsonrpc: "2.0", id, method: "resources/list", params: cursor ? { cursor } : {} },
        sessionId,
      ),
    );
    uris.push(...(answer.result?.resources ?? []).map((resource) => resource.uri));
    cursor = answer.result?.nextCursor;
    if (!cursor) break;
  }
  await (await fetch(url, { method: "DELETE", headers: mcpHeaders(sessionId) })).body?.cancel();
  return uris;
}

interface Exchange {
  method: string;
  status: number;
  sessionIdSent: string | null;
  sessionIdAnswered: string | null;
}

function recordingFetch(): { fetch: typeof fetch; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const record: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    exchanges.push({
      method: init?.method ?? "GET",
      status: response.status,
      sessionIdSent: new Headers(init?.headers).get("mcp-session-id"),
      sessionIdAnswered: response.headers.get("mcp-session-id"),
    });
    return response;
  };
  return { fetch: record, exchanges };
}

type Handler = (method: string, params: Record<string, unknown>) => Record<string, unknown> | undefined;

/**
 * A minimal session-based Streamable HTTP MCP server answering with JSON.
 * `methods` records every method received, and "DELETE <session>" for DELETE.
 */
function fakeServer(capabilities: Record<string, unknown>, handle: Handler) {
  const methods: string[] = [];
  const serve: typeof fetch = async (_input, init) => {
    const method = init?.method ?? "GET";
    if (method === "GET") return new Response(null, { status: 405 });
    if (method === "DELETE") {
      methods.push(`DELETE ${new Headers(init?.headers).get("mcp-session-id")}`);
      return new Response(null, { status: 200 });
    }
    const message = JSON.parse(String(init?.body)) as {
      id?: number;
      method: string;
      params?: Record<string, unknown>;
    };
    methods.push(message.method);
    if (message.id === undefined) return new Response(null, { status: 202 });
    if (message.method === "initialize") {
      const result = {
        protocolVersion: message.params?.protocolVersion,
        capabilities,
        serverInfo: { name: "fake", version: "1.0.0" },
      };
      return Response.json(
        { jsonrpc: "2.0", id: message.id, result },
        { headers: { "mcp-session-id": "fake-session" } },
      );
    }
    const outcome = handle(message.method, message.params ?? {});
    if (outcome === undefined) {
      return Response.json({
        jsonrpc: "2.0",
        id: message.id,
        error: { code: -32601, message: "Method not found" },
      });
    }
    if ("error" in outcome) return Response.json({ jsonrpc: "2.0", id: message.id, error: outcome.error });
    return Response.json({ jsonrpc: "2.0", id: message.id, result: outcome });
  };
  const target: UpstreamTarget = { url: "http://fake.test/mcp", transport: "streamable-http" };
  return { fetch: serve, methods, target };
}
