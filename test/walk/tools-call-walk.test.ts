// The walk of one steady tools/call through the gateway, file by file, on
// each MCP endpoint, measured by the probes of test/walk/walk-instrument.ts.
// docs/architecture.md ("Walk of one tools/call") lists each walk as this test
// records it, and the test fails when the code and that list differ: run
// `npm run walk:docs` to write the list again from the code. It also checks
// what the steady state promises: no store read and no Durable Object on the
// request's way (tokens, routes and server state come from isolate caches).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import architecture from "../../docs/architecture.md?raw";
import worker from "../../worker/index.ts";
import { BASE, devAdminToken, registerServer, uniquePath } from "../support/api.ts";
import { messagesOf, rpc } from "../support/mcp-http.ts";
import { recordWalk, renderWalk, type Walk } from "./walk-recorder.ts";

const { everythingStreamableUrl } = inject("upstreams");

/**
 * The gateway's bindings with the server-state copy kept 10 s instead of 1 s:
 * these calls take up to a second each here, and at the default every one of
 * them would load the copy again ahead of its expiry, which under load falls
 * on one request in many (one per half second per isolate and server).
 */
const walkEnv = { ...env, UPSTREAM_STATE_CACHE_MS: "10000" } as Env;

let token: string;
let path: string;

beforeAll(async () => {
  token = await devAdminToken();
  path = uniquePath("walk");
  await registerServer(path, { url: everythingStreamableUrl });
});

/** POSTs one message the way a client does, and waits for the work the gateway queued after answering. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const text = JSON.stringify(body);
  const response = await worker.fetch(
    new Request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        // As a client's HTTP stack sends it (a Request made here has no Content-Length of its own).
        "content-length": String(new TextEncoder().encode(text).length),
        ...headers,
      },
      body: text,
    }),
    walkEnv,
    ctx,
  );
  const copy = new Response(await response.arrayBuffer(), response);
  await waitOnExecutionContext(ctx);
  return copy;
}

async function echoed(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  const [reply] = await messagesOf(response);
  expect(JSON.stringify(reply?.result)).toContain("walk");
}

/**
 * The steady state: of five calls in a row, the walk through the fewest files
 * (then with the fewest entries). Work done once per interval, such as a
 * cache loaded again ahead of its expiry (the token's row every 2.5 s), falls
 * on one call of many and is not the common walk.
 */
async function steadyWalk(call: (id: number) => Promise<void>): Promise<Walk> {
  const walks: Walk[] = [];
  for (const id of [101, 102, 103, 104, 105]) walks.push(await recordWalk(() => call(id)));
  const size = (walk: Walk) => walk.files.length * 10_000 + walk.entries.length;
  return walks.reduce((best, walk) => (size(walk) < size(best) ? walk : best));
}

/** The audit and metrics flushes the request queues after answering: the only store modules a steady walk may enter. */
const FLUSHES = ["worker/store/d1/d1-audit-log.ts", "worker/store/d1/d1-metrics-store.ts"];

/** Checks the steady-state promises and that docs/architecture.md lists this walk as recorded. */
function checkWalk(name: string, walk: Walk): void {
  const listed = `**${walk.files.length} files, ${walk.returns.length} returns.**\n\n${renderWalk(walk)}`;
  // Printed whole, between markers, for scripts/walk-docs.ts.
  console.log(`<<walk:${name}\n${listed}\nwalk>>`);
  const stores = walk.files.filter((file) => file.startsWith("worker/store/") && !FLUSHES.includes(file));
  expect(stores, "store modules entered on the steady walk").toEqual([]);
  const objects = walk.files.filter((file) => file.startsWith("durable-objects/"));
  expect(objects, "Durable Objects entered on the steady walk").toEqual([]);
  const block = new RegExp(`<!-- walk:${name} -->\\n([\\s\\S]*?)\\n<!-- /walk:${name} -->`).exec(
    architecture,
  );
  expect(block?.[1], `docs/architecture.md's walk:${name} (npm run walk:docs writes it from the code)`).toBe(
    listed,
  );
}

const initialize = rpc("initialize", {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "walk", version: "1" },
});

describe("the walk of one steady tools/call", () => {
  it("through /{path}/mcp", async () => {
    const url = `${BASE}/${path}/mcp`;
    const opened = await post(url, initialize);
    const session = opened.headers.get("mcp-session-id") ?? "";
    const headers = { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" };
    await post(url, { jsonrpc: "2.0", method: "notifications/initialized" }, headers);
    const call = (id: number) => rpc("tools/call", { name: "echo", arguments: { message: "walk" } }, id);
    for (const id of [2, 3]) await echoed(await post(url, call(id), headers));
    const walk = await steadyWalk(async (id) => echoed(await post(url, call(id), headers)));
    checkWalk("proxied", walk);
  });

  it("through /mcp, a stateless 2026-07-28 client", async () => {
    const name = `${path}__echo`;
    const call = (id: number) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: {
        name,
        arguments: { message: "walk" },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "walk", version: "1" },
        },
      },
    });
    const headers = { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name };
    for (const id of [1, 2]) await echoed(await post(`${BASE}/mcp`, call(id), headers));
    const walk = await steadyWalk(async (id) => echoed(await post(`${BASE}/mcp`, call(id), headers)));
    checkWalk("stateless", walk);
  });

  it("through /mcp, a session-based client", async () => {
    const url = `${BASE}/mcp`;
    const opened = await post(url, initialize);
    const session = opened.headers.get("mcp-session-id") ?? "";
    const headers = { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" };
    await post(url, { jsonrpc: "2.0", method: "notifications/initialized" }, headers);
    const call = (id: number) =>
      rpc("tools/call", { name: `${path}__echo`, arguments: { message: "walk" } }, id);
    for (const id of [2, 3]) await echoed(await post(url, call(id), headers));
    const walk = await steadyWalk(async (id) => echoed(await post(url, call(id), headers)));
    checkWalk("session", walk);
  });
});
