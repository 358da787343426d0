// The steady POST of /{path}/mcp hands the client the lease's watched SSE
// stream in its own Response (the answer is not wrapped twice, w8-path):
// what the upstream sends reaches the client untouched, and a stream the
// upstream cuts still counts against the replica's circuit, so after the
// configured failures the next call is refused without reaching it.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { messagesOf, openSession, postMcp, rpc } from "../support/mcp-http.ts";

const { probeUrl, everythingStreamableUrl } = inject("upstreams");
let token: string;

async function register(path: string, url: string, extra: Record<string, unknown> = {}): Promise<void> {
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url }], ...extra },
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

/** What a client read of the body before the stream ended or broke. */
async function readUntilCut(response: Response): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (let step = await reader.read(); !step.done; step = await reader.read())
      text += decoder.decode(step.value, { stream: true });
  } catch {
    // Cut: what came before is the point.
  }
  return text;
}

/**
 * Calls a server (circuit: 2 failures) until its circuit refuses a call;
 * `streamedWell` reads each 200 SSE answer. Expects the refusal to come.
 */
async function callUntilRefused(
  name: string,
  upstreamUrl: string,
  streamedWell: (response: Response, call: number) => Promise<boolean>,
): Promise<{ streamed: number; refused: Response }> {
  const path = uniquePath(name);
  await register(path, upstreamUrl, { circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 } });
  const url = `${BASE}/${path}/mcp`;
  let streamed = 0;
  let refused: Response | null = null;
  for (let call = 1; call <= 6 && refused === null; call++) {
    const response = await postMcp(url, rpc("tools/call", { name: "x" }, call), { token });
    if (response.status === 503) {
      refused = response;
      break;
    }
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    if (await streamedWell(response, call)) streamed += 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(refused, "no call was refused by the circuit").not.toBeNull();
  const [error] = await messagesOf(refused as Response);
  expect(error).toMatchObject({ error: { code: -32010, data: { reason: "circuit_open" } } });
  return { streamed, refused: refused as Response };
}

/** A cut answer's body: the progress event sent before the cut, or the stream's error. */
async function readsProgressThenCut(response: Response): Promise<boolean> {
  const partial = await response.text().catch(() => "stream error");
  expect(partial).toMatch(/progress|stream error/);
  return true;
}

beforeAll(async () => {
  token = await devAdminToken();
});

describe("the steady POST's SSE answer", () => {
  it("streams the upstream's events to the client as they were sent, session token handed back", async () => {
    const path = uniquePath("watched");
    await register(path, everythingStreamableUrl);
    const url = `${BASE}/${path}/mcp`;
    const session = await openSession(url, token);
    const response = await postMcp(
      url,
      rpc("tools/call", { name: "echo", arguments: { message: "watched" }, _meta: { progressToken: 5 } }, 9),
      { token, session },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    // The client's own sealed token comes back; the upstream's raw session id never does.
    expect(response.headers.get("mcp-session-id")).toBe(session);
    const [answer] = (await messagesOf(response)).filter((message) => message.id === 9);
    expect(answer?.result?.content?.[0]?.text).toContain("watched");
  });

  // The second route's Content-Type is `Text/Event-Stream; charset=utf-8`: media types are
  // compared case-insensitively, without parameters, so that answer is watched too.
  it.each([
    ["cutwatch", "/cut/mcp"],
    ["cutcase", "/cut-mixed-case/mcp"],
  ])(
    "counts a stream the upstream cuts against the replica: the circuit opens and refuses the next call (%s)",
    {
      timeout: 30_000,
    },
    async (name, route) => {
      // Each cut answer is reported when its stream breaks; after two the circuit is open.
      const { streamed, refused } = await callUntilRefused(name, `${probeUrl}${route}`, readsProgressThenCut);
      expect(streamed).toBeGreaterThanOrEqual(1);
      expect((refused as Response).headers.get("retry-after")).not.toBeNull();
    },
  );

  it("counts a stream cut after its response event against the replica: the answer arrives, the cut still counts", {
    timeout: 30_000,
  }, async () => {
    const { streamed } = await callUntilRefused(
      "cutafter",
      `${probeUrl}/cut-after-answer/mcp`,
      // The response event reached the client before the cut.
      async (response, call) => (await readUntilCut(response)).includes(`"id":${call}`),
    );
    expect(streamed).toBeGreaterThanOrEqual(1);
  });
});
