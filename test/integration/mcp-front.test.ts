// The common front of the MCP endpoints (routes/mcp-front.ts): one
// middleware runs the Origin check, authentication, the request limits and
// the body limit in that order on /mcp and /{path}/mcp. The body limit
// answers 413 both from a declared Content-Length and for a body sent
// without one (read and counted), and a refusal comes before the wing.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BASE, devAdminToken, registerServer, uniquePath } from "../support/api.ts";
import { messagesOf, postMcp, rpc } from "../support/mcp-http.ts";

const { everythingStreamableUrl } = inject("upstreams");
// MAX_BODY_BYTES is not set in the test configuration: the default 1 MiB applies.
const MAX_BODY_BYTES = 1024 * 1024;

let token: string;
let serverPath: string;

beforeAll(async () => {
  token = await devAdminToken();
  serverPath = uniquePath("front");
  await registerServer(serverPath, { url: everythingStreamableUrl });
});

/** A ping whose padding makes the body `size` bytes or more. */
function pingOfSize(size: number): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "ping",
    params: { _meta: { pad: "x".repeat(size) } },
  });
}

/** The body as a stream: the request carries no Content-Length. */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 64 * 1024)
        controller.enqueue(bytes.slice(at, at + 64 * 1024));
      controller.close();
    },
  });
}

for (const endpoint of ["/mcp", "/{path}/mcp"]) {
  const url = () => `${BASE}${endpoint === "/mcp" ? "/mcp" : `/${serverPath}/mcp`}`;
  const headers = () => ({
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
  });

  describe(`the front of ${endpoint}`, () => {
    it("refuses a body over the limit from its Content-Length with 413 problem+json", async () => {
      const response = await postMcp(url(), null, { token, raw: pingOfSize(MAX_BODY_BYTES + 1) });
      expect(response.status).toBe(413);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await response.json()) as { detail?: string };
      expect(problem.detail).toBe(`The body may be at most ${MAX_BODY_BYTES} bytes`);
    });

    it("refuses a body over the limit sent without a Content-Length (counted as read)", async () => {
      const request = new Request(url(), {
        method: "POST",
        headers: headers(),
        body: streamed(pingOfSize(MAX_BODY_BYTES + 1)),
      });
      expect(request.headers.get("content-length")).toBeNull();
      const response = await exports.default.fetch(request);
      expect(response.status).toBe(413);
    });

    it("passes a body within the limit sent without a Content-Length on, as with one", async () => {
      const body = JSON.stringify(rpc("tools/list"));
      const declared = await exports.default.fetch(url(), { method: "POST", headers: headers(), body });
      const request = new Request(url(), { method: "POST", headers: headers(), body: streamed(body) });
      const counted = await exports.default.fetch(request);
      expect(counted.status).not.toBe(413);
      expect(counted.status).toBe(declared.status);
      const [declaredReply] = await messagesOf(declared);
      const [countedReply] = await messagesOf(counted);
      expect(countedReply?.error?.code).toBe(declaredReply?.error?.code);
      expect(countedReply?.id).toBe(1);
    });

    it("checks the Origin before the credential: a foreign Origin without a token gets 403, not 401", async () => {
      const response = await exports.default.fetch(url(), {
        method: "POST",
        headers: { "content-type": "application/json", origin: "https://evil.example" },
        body: JSON.stringify(rpc("ping")),
      });
      expect(response.status).toBe(403);
      const [reply] = await messagesOf(response);
      expect(reply?.error?.code).toBe(-32003);
    });

    it("checks the credential before the body: no token and an oversized body get 401 with the endpoint's challenge", async () => {
      const response = await exports.default.fetch(url(), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: pingOfSize(MAX_BODY_BYTES + 1),
      });
      expect(response.status).toBe(401);
      const resource = endpoint === "/mcp" ? "/mcp" : `/${serverPath}/mcp`;
      expect(response.headers.get("www-authenticate")).toBe(
        `Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource${resource}"`,
      );
    });
  });
}
