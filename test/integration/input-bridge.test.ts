// The 2026-07-28 input bridge (aggregated/input-exchange.ts) on every endpoint
// that serves a 2026 caller through the aggregated machinery: `/mcp`, a
// virtual server, and `/{path}/mcp` bridging to a 2025 upstream. A real
// session-based upstream (test/support/relay-mcp-server.ts, SDK 1.x) reports
// progress, asks for a color on the call's own stream (elicitation), then
// reports more progress: each round of the caller's call answers as an SSE
// stream carrying that round's progress (under that round's progressToken)
// before its InputRequiredResult or its result, and the answer reaches the
// upstream. The requestState opens only for its caller and its request.
// Raw HTTP for the wire, and the SDK v2 client for a real client's view.
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { gatewayFetch, grantScope } from "../support/gateway-clients.ts";
import { messagesOf, type RpcReply } from "../support/mcp-http.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";
import type { RelayStats } from "../support/relay-mcp-server.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const V2026 = "2026-07-28";
const OTHER_GROUP = "input-bridge-other";

let adminToken: string;
let otherToken: string;
let path: string;
let virtualName: string;

beforeAll(async () => {
  adminToken = await devAdminToken();
  path = uniquePath("inb");
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: `${upstreams.relayUrl}/mcp` }] },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  virtualName = uniquePath("vinb");
  const created = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: {
      name: virtualName,
      tools: [
        { server: path, tool: "progress_ask" },
        { server: path, tool: "ask" },
      ],
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  // A second identity that may call the same tools: its own grant, not the admin's.
  await grantScope(OTHER_GROUP, "input-bridge-other", [
    { server: path, methods: ["tools/call"], tools: ["progress_ask", "ask"] },
  ]);
  otherToken = tokenFor(principal({ tenant: "default", groups: [OTHER_GROUP] }));
});

async function relayStats(): Promise<RelayStats> {
  return (await (await fetch(`${upstreams.relayUrl}/stats`)).json()) as RelayStats;
}

interface Endpoint {
  label: string;
  url: () => string;
  tool: (name: string) => string;
}

const ENDPOINTS: Endpoint[] = [
  { label: "/mcp", url: () => `${BASE}/mcp`, tool: (name) => `${path}__${name}` },
  { label: "a virtual server", url: () => `${BASE}/v/${virtualName}/mcp`, tool: (name) => name },
  // A 2025 upstream: the per-server path serves the 2026 caller through the aggregated machinery.
  { label: "/{path}/mcp", url: () => `${BASE}/${path}/mcp`, tool: (name) => name },
];

interface Round {
  progressToken?: string;
  inputResponses?: Record<string, unknown>;
  requestState?: string;
  token?: string;
  /** The caller declares it can answer elicitation (default true). */
  elicitation?: boolean;
  accept?: string;
}

/** One raw 2026-07-28 tools/call round; the response as it came. */
function callRound(url: string, tool: string, round: Round): Promise<Response> {
  const meta: Record<string, unknown> = {
    "io.modelcontextprotocol/protocolVersion": V2026,
    "io.modelcontextprotocol/clientInfo": { name: "input-bridge-raw", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": round.elicitation === false ? {} : { elicitation: {} },
    ...(round.progressToken !== undefined && { progressToken: round.progressToken }),
  };
  const params: Record<string, unknown> = {
    name: tool,
    arguments: {},
    _meta: meta,
    ...(round.inputResponses && { inputResponses: round.inputResponses }),
    ...(round.requestState !== undefined && { requestState: round.requestState }),
  };
  return gatewayFetch(url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${round.token ?? adminToken}`,
      "content-type": "application/json",
      accept: round.accept ?? "application/json, text/event-stream",
      "mcp-protocol-version": V2026,
      "mcp-method": "tools/call",
      "mcp-name": tool,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params }),
  });
}

interface Progress {
  progressToken: string;
  progress: number;
  total?: number;
  message?: string;
}

/** The progress notifications (in order) and the final reply of one round, in the order they came. */
function split(messages: RpcReply[]): { progress: Progress[]; reply: RpcReply; replyIndex: number } {
  const all = messages as unknown as { method?: string; params?: Progress; id?: unknown }[];
  const progress = all.filter((m) => m.method === "notifications/progress").map((m) => m.params as Progress);
  const replyIndex = all.findIndex((m) => m.id !== undefined && m.method === undefined);
  return { progress, reply: messages[replyIndex] as RpcReply, replyIndex };
}

interface InputRequired {
  resultType: string;
  requestState: string;
  inputRequests: Record<string, { method: string; params: { message?: string } }>;
}

describe.each(ENDPOINTS)("progress and input on one call of a 2026-07-28 client ($label)", (endpoint) => {
  it("streams each round's progress before its InputRequiredResult and its result; the answer reaches the upstream", async () => {
    const color = `jade-${endpoint.label.length}-${crypto.randomUUID().slice(0, 6)}`;
    const url = endpoint.url();
    const tool = endpoint.tool("progress_ask");

    const first = await callRound(url, tool, { progressToken: "round-1" });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const one = split(await messagesOf(first));
    const input = one.reply.result as unknown as InputRequired;
    expect(input.resultType, JSON.stringify(one.reply)).toBe("input_required");
    const entries = Object.entries(input.inputRequests);
    expect(entries).toHaveLength(1);
    const [key, request] = entries[0] ?? [];
    expect(request?.method).toBe("elicitation/create");
    expect(request?.params.message).toBe("Which color, halfway?");
    // The progress the upstream sent before it asked, under this round's token, before the answer.
    expect(one.progress.map((p) => [p.progressToken, p.progress, p.message])).toEqual([
      ["round-1", 1, "step 1"],
      ["round-1", 2, "step 2"],
    ]);
    expect(one.replyIndex).toBe(2);

    const second = await callRound(url, tool, {
      progressToken: "round-2",
      inputResponses: { [key ?? ""]: { action: "accept", content: { color } } },
      requestState: input.requestState,
    });
    expect(second.status).toBe(200);
    const two = split(await messagesOf(second));
    expect(two.progress.map((p) => [p.progressToken, p.progress, p.total])).toEqual([
      ["round-2", 3, 4],
      ["round-2", 4, 4],
    ]);
    expect(two.replyIndex).toBe(2);
    const text = (two.reply.result?.content ?? []).map((block) => block.text).join("");
    expect(text).toContain(color);
    expect((await relayStats()).answers).toContainEqual({ action: "accept", content: { color } });
  });
});

describe("the input bridge without progress", () => {
  it.each(ENDPOINTS)(
    "bridges a plain elicitation on $label: no progress token, no progress",
    async (endpoint) => {
      const color = `plain-${crypto.randomUUID().slice(0, 6)}`;
      const url = endpoint.url();
      const tool = endpoint.tool("progress_ask");
      const first = await callRound(url, tool, {});
      const one = split(await messagesOf(first));
      expect(one.progress).toEqual([]);
      const input = one.reply.result as unknown as InputRequired;
      expect(input.resultType).toBe("input_required");
      const [key] = Object.keys(input.inputRequests);
      const second = await callRound(url, tool, {
        inputResponses: { [key ?? ""]: { action: "accept", content: { color } } },
        requestState: input.requestState,
      });
      const two = split(await messagesOf(second));
      expect(two.progress).toEqual([]);
      expect((two.reply.result?.content ?? []).map((block) => block.text).join("")).toContain(color);
    },
  );
});

describe("the requestState of the input bridge", () => {
  async function firstRound(token = adminToken) {
    const response = await callRound(`${BASE}/mcp`, `${path}__progress_ask`, { token });
    const { reply } = split(await messagesOf(response));
    const input = reply.result as unknown as InputRequired;
    expect(input.resultType, JSON.stringify(reply)).toBe("input_required");
    return { key: Object.keys(input.inputRequests)[0] ?? "", state: input.requestState };
  }

  it("opens for no other identity, even one that may call the same tool, and the upstream never gets its answer", async () => {
    const { key, state } = await firstRound();
    const color = `stolen-${crypto.randomUUID().slice(0, 6)}`;
    const replay = await callRound(`${BASE}/mcp`, `${path}__progress_ask`, {
      token: otherToken,
      inputResponses: { [key]: { action: "accept", content: { color } } },
      requestState: state,
    });
    const [reply] = await messagesOf(replay);
    expect(reply?.error?.message).toMatch(/requestState/);
    expect((await relayStats()).answers).not.toContainEqual({ action: "accept", content: { color } });

    // The rightful caller can still finish its call with the same state.
    const mine = `mine-${crypto.randomUUID().slice(0, 6)}`;
    const finish = await callRound(`${BASE}/mcp`, `${path}__progress_ask`, {
      inputResponses: { [key]: { action: "accept", content: { color: mine } } },
      requestState: state,
    });
    const { reply: done } = split(await messagesOf(finish));
    expect((done.result?.content ?? []).map((block) => block.text).join("")).toContain(mine);
  });

  it("opens for no other tool of the same server", async () => {
    const { key, state } = await firstRound();
    const color = `elsewhere-${crypto.randomUUID().slice(0, 6)}`;
    const replay = await callRound(`${BASE}/mcp`, `${path}__ask`, {
      inputResponses: { [key]: { action: "accept", content: { color } } },
      requestState: state,
    });
    const [reply] = await messagesOf(replay);
    expect(reply?.error?.message).toMatch(/requestState/);
    expect((await relayStats()).answers).not.toContainEqual({ action: "accept", content: { color } });
  });

  it("is refused once the call it stood for has finished", async () => {
    const { key, state } = await firstRound();
    const answer = { [key]: { action: "accept", content: { color: "once" } } };
    const done = await callRound(`${BASE}/mcp`, `${path}__progress_ask`, {
      inputResponses: answer,
      requestState: state,
    });
    expect(split(await messagesOf(done)).reply.result?.content).toBeDefined();
    const again = await callRound(`${BASE}/mcp`, `${path}__progress_ask`, {
      inputResponses: answer,
      requestState: state,
    });
    const [reply] = await messagesOf(again);
    expect(reply?.error?.message).toMatch(/requestState/);
  });
});

describe("a real SDK v2 client (2026-07-28) with progress and elicitation on one call", () => {
  it.each(ENDPOINTS)(
    "gets every progress notification and completes the call with its answer ($label)",
    async (endpoint) => {
      const color = `sdk-${crypto.randomUUID().slice(0, 6)}`;
      const client = new ModernClient(
        { name: "input-bridge-v2", version: "1.0.0" },
        {
          capabilities: { elicitation: {} },
          versionNegotiation: { mode: { pin: V2026 } },
          jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
          inputRequired: { autoFulfill: true },
        },
      );
      const asked: string[] = [];
      client.setRequestHandler("elicitation/create", async (request) => {
        asked.push(String((request.params as { message?: string }).message));
        return { action: "accept", content: { color } };
      });
      await client.connect(
        new ModernTransport(new URL(endpoint.url()), {
          fetch: gatewayFetch,
          requestInit: { headers: { authorization: `Bearer ${adminToken}` } },
        }),
      );
      const progress: number[] = [];
      const result = await client.callTool(
        { name: endpoint.tool("progress_ask"), arguments: {} },
        {
          // The SDK adds its own progress per input round ("Fulfilling input required ..."): the upstream's say "step".
          onprogress: (update) => {
            if (update.message?.startsWith("step ")) progress.push(update.progress);
          },
        },
      );
      expect(asked).toEqual(["Which color, halfway?"]);
      expect(((result.content ?? []) as { text?: string }[]).map((block) => block.text).join("")).toContain(
        color,
      );
      expect(progress).toEqual([1, 2, 3, 4]);
      await client.close();
    },
  );
});
