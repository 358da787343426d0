// Fixes on the MCP edge found by a new user: a GET stream is refused with 406
// when the client cannot take SSE; /mcp refuses an unsupported
// MCP-Protocol-Version (-32022) and, within a session, any version but the
// negotiated one; an upstream redirect is reported as a redirect; a client's
// malformed input is logged below error level.
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { api, BASE, devAdminToken, registerServer, uniquePath } from "../support/api.ts";
import { messagesOf, postMcp, rpc } from "../support/mcp-http.ts";

const { probeUrl, everythingStreamableUrl } = inject("upstreams");

let token: string;
let streamablePath: string;
let redirectPath: string;

beforeAll(async () => {
  token = await devAdminToken();
  streamablePath = uniquePath("fix");
  redirectPath = uniquePath("redirect");
  await registerServer(streamablePath, { url: everythingStreamableUrl });
  await registerServer(redirectPath, { url: `${probeUrl}/redirect/mcp` });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const INITIALIZE = rpc("initialize", {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "fixes", version: "1" },
});

describe("GET streams on /{path}/mcp", () => {
  it("answer 406 to a client that does not accept text/event-stream", async () => {
    const response = await exports.default.fetch(`${BASE}/${streamablePath}/mcp`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    });
    expect(response.status).toBe(406);
    const [reply] = await messagesOf(response);
    expect(reply?.error?.code).toBe(-32600);
  });
});

describe("protocol versions on /mcp", () => {
  it("refuse an unsupported MCP-Protocol-Version on initialize with -32022", async () => {
    const response = await postMcp(`${BASE}/mcp`, INITIALIZE, {
      token,
      headers: { "mcp-protocol-version": "1999-01-01" },
    });
    expect(response.status).toBe(400);
    const [reply] = await messagesOf(response);
    expect(reply?.error?.code).toBe(-32022);
    expect(response.headers.get("mcp-session-id")).toBeNull();
  });

  it("refuse, within a session, a version other than the negotiated one", async () => {
    const opened = await postMcp(`${BASE}/mcp`, INITIALIZE, { token });
    expect(opened.status).toBe(200);
    const session = opened.headers.get("mcp-session-id") ?? "";
    const same = await postMcp(`${BASE}/mcp`, rpc("tools/list"), {
      token,
      session,
      headers: { "mcp-protocol-version": "2025-06-18" },
    });
    expect(same.status).toBe(200);
    const other = await postMcp(`${BASE}/mcp`, rpc("tools/list"), {
      token,
      session,
      headers: { "mcp-protocol-version": "2025-03-26" },
    });
    expect(other.status).toBe(400);
    const [reply] = await messagesOf(other);
    expect(reply?.error?.code).toBe(-32022);
  });
});

describe("upstream redirects", () => {
  it("are reported as redirects, not as refused credentials", async () => {
    const response = await postMcp(`${BASE}/${redirectPath}/mcp`, INITIALIZE, { token });
    expect(response.status).toBe(502);
    const [reply] = await messagesOf(response);
    expect(reply?.error?.code).toBe(-32010);
    expect(reply?.error?.message).toContain("redirect");
    expect(reply?.error?.message).not.toContain("credentials");
  });
});

describe("malformed client input", () => {
  it("is logged below error level on every MCP endpoint and the REST API", async () => {
    const errors = vi.spyOn(console, "error");
    const bodies = [
      "{",
      "[]",
      '{"jsonrpc":"1.0","id":1,"method":"x"}',
      '{"hello":"world"}',
      "null",
      '"text"',
    ];
    for (const raw of bodies) {
      for (const url of [`${BASE}/mcp`, `${BASE}/${streamablePath}/mcp`]) {
        const response = await postMcp(url, null, { token, raw });
        expect(response.status, `${url} ${raw}`).toBe(400);
        await response.arrayBuffer();
      }
      const rest = await api("/api/v1/servers", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: raw,
      });
      expect(rest.status).toBeGreaterThanOrEqual(400);
      expect(rest.status).toBeLessThan(500);
      await rest.arrayBuffer();
    }
    const errorLines = errors.mock.calls.map((call) => String(call[0]));
    expect(errorLines).toEqual([]);
  });
});
