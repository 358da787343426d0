// The MCP conformance suite (@modelcontextprotocol/conformance) against
// server-everything directly and through the gateway's per-server endpoint:
// every scenario that passes directly must pass through the per-server
// endpoint; the aggregated endpoint's figures are reported alongside. The
// suite's CLI cannot send credentials, so a loopback forwarder adds the
// bearer token and passes everything else (streams included) unchanged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  runConformance as conformance,
  type Forwarder,
  regressions,
  startForwarder,
  summary as table,
  totals,
} from "./conformance-runner.ts";
import { type Stack, startStack } from "./harness.ts";

let stack: Stack;
let forwarder: Forwarder;
let forwarderUrl: string;

beforeAll(async () => {
  stack = await startStack();
  await stack.register({
    name: "Everything",
    path: "everything",
    endpoints: [{ url: stack.everythingStreamableUrl }],
  });
  forwarder = await startForwarder(stack.gateway.url, stack.token);
  forwarderUrl = forwarder.url;
});

afterAll(async () => {
  forwarder?.close();
  await stack?.stop();
});

describe("MCP conformance suite", () => {
  it("passes through /{path}/mcp every scenario that passes directly", { timeout: 300_000 }, async () => {
    const direct = await conformance(stack.everythingStreamableUrl);
    const proxied = await conformance(`${forwarderUrl}/everything/mcp`);
    // The aggregated endpoint renames tools ({server}__{tool}) and offers no
    // logging or subscriptions, so scenarios that look up tools by their
    // plain names cannot pass there; its figures are reported, not compared.
    const aggregated = await conformance(`${forwarderUrl}/mcp`);
    console.log(
      [table("direct", direct), table("via /{path}/mcp", proxied), table("via /mcp", aggregated)].join("\n"),
    );
    expect(regressions(direct, proxied)).toEqual([]);
    expect(direct.size).toBeGreaterThan(20);
    expect(proxied.size).toBe(direct.size);
  });

  // Issue 11: a 2026-07-28 client gets the 2026 wire on the per-server path
  // whatever the upstream speaks, so against a 2025-only upstream it does at
  // least as well there as on the aggregated endpoint.
  it("--requirements 2026-07-28: /{path}/mcp passes at least as many checks as /mcp", {
    timeout: 400_000,
  }, async () => {
    const proxied = await conformance(`${forwarderUrl}/everything/mcp`, "2026-07-28", "everything-2026-path");
    const aggregated = await conformance(`${forwarderUrl}/mcp`, "2026-07-28", "everything-2026-mcp");
    console.log(
      [
        "server-everything, --requirements 2026-07-28",
        table("via /{path}/mcp", proxied),
        table("via /mcp", aggregated),
      ].join("\n"),
    );
    const path = totals(proxied);
    const mcp = totals(aggregated);
    expect(path.clean).toBeGreaterThanOrEqual(mcp.clean);
    expect(path.passed).toBeGreaterThanOrEqual(mcp.passed);
  });
});
