// Server-initiated requests besides elicitation (issue 11, item 2): a real
// session-based upstream (test/support/relay-mcp-server.ts, SDK 1.x) asks
// its client for a sampling completion and for its roots on the call's own
// stream. A session client (SDK 1.x) on /mcp answers them as requests on its
// stream; a 2026-07-28 caller gets them as `inputRequests` of an
// InputRequiredResult and its retry's answers reach the upstream. Also the
// 2026-07-28 per-request log level (`io.modelcontextprotocol/logLevel`):
// the upstream's log messages of the call reach the caller on the call's
// stream, filtered to that level, and not at all without it.
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { gatewayFetch } from "../support/gateway-clients.ts";
import { messagesOf, type RpcReply } from "../support/mcp-http.ts";
import { textOf } from "../support/sdk-client.ts";

const upstreams = inject("upstreams");
const V2026 = "2026-07-28";
const SAMPLED = {
  role: "assistant",
  content: { type: "text", text: "hi from the client" },
  model: "test-model",
};
const ROOTS = [{ uri: "file:///work/project", name: "project" }];

let token = "";
let path = "";

beforeAll(async () => {
  token = await devAdminToken();
  path = uniquePath("samp");
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: `${upstreams.relayUrl}/mcp` }] },
  });
  expect(response.status, await response.clone().text()).toBe(201);
});

describe("sampling and roots for a session client on /mcp", () => {
  it("reach the client as requests on the call's stream, and its answers reach the upstream", async () => {
    const client = new LegacyClient(
      { name: "sampling-test-v1", version: "1.0.0" },
      {
        capabilities: { sampling: {}, roots: { listChanged: true } },
        jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
      },
    );
    const asked: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      asked.push(`sampling: ${JSON.stringify(request.params.messages)}`);
      return SAMPLED;
    });
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      asked.push("roots");
      return { roots: ROOTS };
    });
    await client.connect(
      new LegacyTransport(new URL(`${BASE}/mcp`), {
        fetch: gatewayFetch,
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const sampled = textOf(await client.callTool({ name: `${path}__sample`, arguments: {} }));
    expect(sampled).toContain("hi from the client");
    expect(sampled).toContain("test-model");
    const roots = textOf(await client.callTool({ name: `${path}__roots`, arguments: {} }));
    expect(roots).toBe(`roots: ${JSON.stringify(ROOTS)}`);
    expect(asked).toEqual([
      `sampling: ${JSON.stringify([{ role: "user", content: { type: "text", text: "Say hi" } }])}`,
      "roots",
    ]);
    await client.close();
  });
});

/** One raw 2026-07-28 tools/call on /mcp. */
function call(tool: string, meta: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const name = `${path}__${tool}`;
  return gatewayFetch(`${BASE}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": V2026,
      "mcp-method": "tools/call",
      "mcp-name": name,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name,
        arguments: {},
        _meta: {
          "io.modelcontextprotocol/protocolVersion": V2026,
          "io.modelcontextprotocol/clientInfo": { name: "sampling-raw", version: "1.0.0" },
          ...meta,
        },
        ...extra,
      },
    }),
  });
}

function finalReply(messages: RpcReply[]): RpcReply {
  return messages.find((message) => message.id !== undefined && !("method" in message)) as RpcReply;
}

describe("sampling and roots for a 2026-07-28 caller on /mcp (input bridge)", () => {
  it.each([
    ["sample", "sampling/createMessage", { sampling: {} }, SAMPLED, "hi from the client"],
    ["roots", "roots/list", { roots: {} }, { roots: ROOTS }, "file:///work/project"],
  ] as const)(
    "%s: the upstream's %s is an input request, and the answer reaches the upstream",
    async (tool, method, capabilities, answer, expected) => {
      const meta = { "io.modelcontextprotocol/clientCapabilities": capabilities };
      const first = finalReply(await messagesOf(await call(tool, meta)));
      const input = first.result as unknown as {
        resultType: string;
        requestState: string;
        inputRequests: Record<string, { method: string }>;
      };
      expect(input.resultType, JSON.stringify(first)).toBe("input_required");
      const [key, request] = Object.entries(input.inputRequests)[0] ?? [];
      expect(request?.method).toBe(method);
      const second = finalReply(
        await messagesOf(
          await call(tool, meta, {
            inputResponses: { [key ?? ""]: answer },
            requestState: input.requestState,
          }),
        ),
      );
      expect((second.result?.content ?? []).map((block) => block.text).join("")).toContain(expected);
    },
  );
});

describe("log messages for a 2026-07-28 caller (io.modelcontextprotocol/logLevel)", () => {
  async function logsOf(level: string | undefined) {
    const meta = {
      "io.modelcontextprotocol/clientCapabilities": {},
      ...(level !== undefined && { "io.modelcontextprotocol/logLevel": level }),
    };
    const messages = (await messagesOf(await call("log", meta))) as unknown as {
      method?: string;
      params?: { level?: string; data?: unknown };
    }[];
    const reply = finalReply(messages as unknown as RpcReply[]);
    expect((reply.result?.content ?? []).map((block) => block.text).join("")).toBe("logged");
    return messages.filter((m) => m.method === "notifications/message").map((m) => m.params?.data);
  }

  it("relays the call's messages at or above the level asked for, and none when none was asked", async () => {
    expect(await logsOf("debug")).toEqual(["relay debug", "relay error"]);
    expect(await logsOf("warning")).toEqual(["relay error"]);
    expect(await logsOf("critical")).toEqual([]);
    expect(await logsOf(undefined)).toEqual([]);
  });
});
