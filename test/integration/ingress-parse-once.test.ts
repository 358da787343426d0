// The one ingress reads and parses each MCP request body exactly once, on
// every MCP endpoint: the per-server Streamable HTTP and legacy message
// endpoints, /mcp for stateless 2026-07-28 requests, and /mcp for
// session-based requests served by the McpSession Durable Object (which gets
// the ingress's parsed body, never the body text). Counted at the platform:
// every JSON.parse of the body text and every read of a Request body.
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { BASE, devAdminToken, registerServer, uniquePath } from "../support/api.ts";
import { messagesOf, rpc } from "../support/mcp-http.ts";

const { everythingStreamableUrl, everythingSseUrl } = inject("upstreams");

let token: string;
let streamablePath: string;
let legacyPath: string;

beforeAll(async () => {
  token = await devAdminToken();
  streamablePath = uniquePath("once");
  legacyPath = uniquePath("once-sse");
  await registerServer(streamablePath, { url: everythingStreamableUrl });
  await registerServer(legacyPath, { url: everythingSseUrl, transport: "sse" });
});

/** Counts, per body text, how often it is parsed, and how often any Request body is read or cloned. */
function bodyWatch() {
  const parses = new Map<string, number>();
  let reads = 0;
  let clones = 0;
  const parse = JSON.parse;
  vi.spyOn(JSON, "parse").mockImplementation((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
    parses.set(text, (parses.get(text) ?? 0) + 1);
    return parse(text, reviver);
  });
  for (const method of ["text", "json", "arrayBuffer", "blob", "formData", "bytes"] as const) {
    const original = Request.prototype[method] as ((...args: unknown[]) => unknown) | undefined;
    if (!original) continue;
    vi.spyOn(Request.prototype, method as "text").mockImplementation(function (this: Request) {
      reads++;
      return original.call(this) as Promise<string>;
    });
  }
  const clone = Request.prototype.clone;
  vi.spyOn(Request.prototype, "clone").mockImplementation(function (this: Request) {
    clones++;
    return clone.call(this);
  });
  return {
    parsesOf: (text: string) => parses.get(text) ?? 0,
    reads: () => reads,
    clones: () => clones,
    reset() {
      parses.clear();
      reads = 0;
      clones = 0;
    },
  };
}

let watch: ReturnType<typeof bodyWatch>;
beforeEach(() => {
  watch = bodyWatch();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** POSTs `body` as text and checks the gateway parsed that text once and read one Request body. */
async function postOnce(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ response: Response; text: string }> {
  const text = JSON.stringify(body);
  watch.reset();
  const response = await exports.default.fetch(url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: text,
  });
  // The answer is read before counting, so work done while streaming it is counted too.
  const answer = response.clone();
  await answer.arrayBuffer();
  expect(watch.parsesOf(text), `JSON.parse of the body at ${url}`).toBe(1);
  expect(watch.reads(), `Request body reads at ${url}`).toBe(1);
  expect(watch.clones(), `Request clones at ${url}`).toBe(0);
  return { response, text };
}

const CALL_ECHO = (name: string) => rpc("tools/call", { name, arguments: { message: "once" } }, 7);

describe("each MCP request body is parsed once", () => {
  it("on /{path}/mcp (initialize, then tools/call through the per-server proxy)", async () => {
    const { response: opened } = await postOnce(
      `${BASE}/${streamablePath}/mcp`,
      rpc("initialize", {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "once", version: "1" },
      }),
    );
    expect(opened.status).toBe(200);
    const session = opened.headers.get("mcp-session-id") ?? "";
    const { response } = await postOnce(`${BASE}/${streamablePath}/mcp`, CALL_ECHO("echo"), {
      "mcp-session-id": session,
      "mcp-protocol-version": "2025-06-18",
    });
    expect(response.status).toBe(200);
    const [reply] = await messagesOf(response);
    expect(JSON.stringify(reply?.result)).toContain("once");
  });

  it("on /{path}/message (the legacy transport's POST)", async () => {
    const stream = await exports.default.fetch(`${BASE}/${legacyPath}/sse`, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    while (!seen.includes("\n\n")) seen += new TextDecoder().decode((await reader.read()).value);
    const endpoint = /data: (\S+)/.exec(seen)?.[1] ?? "";
    expect(endpoint).toContain(`/${legacyPath}/message?session=`);
    const { response } = await postOnce(
      new URL(endpoint, BASE).toString(),
      rpc(
        "initialize",
        { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "once", version: "1" } },
        1,
      ),
    );
    expect(response.status).toBe(202);
    await reader.cancel();
  });

  it("on /mcp for a stateless 2026-07-28 request", async () => {
    const { response } = await postOnce(
      `${BASE}/mcp`,
      {
        ...CALL_ECHO(`${streamablePath}__echo`),
        params: {
          name: `${streamablePath}__echo`,
          arguments: { message: "once" },
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": { name: "once", version: "1" },
          },
        },
      },
      {
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": `${streamablePath}__echo`,
      },
    );
    expect(response.status).toBe(200);
    const [reply] = await messagesOf(response);
    expect(JSON.stringify(reply?.result)).toContain("once");
  });

  it("on /mcp for session-based requests, served by the McpSession Durable Object", async () => {
    const { response: opened } = await postOnce(
      `${BASE}/mcp`,
      rpc("initialize", {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "once", version: "1" },
      }),
    );
    expect(opened.status).toBe(200);
    const session = opened.headers.get("mcp-session-id") ?? "";
    expect(session).toMatch(/^[0-9a-f]{64}$/);
    const { response } = await postOnce(`${BASE}/mcp`, CALL_ECHO(`${streamablePath}__echo`), {
      "mcp-session-id": session,
      "mcp-protocol-version": "2025-06-18",
    });
    expect(response.status).toBe(200);
    const [reply] = await messagesOf(response);
    expect(JSON.stringify(reply?.result)).toContain("once");
  });
});
