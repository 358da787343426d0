// The MCP conformance suite against its own reference server (a 2025 and
// 2026-07-28 server nobody here wrote), with `--requirements 2025-11-25` and
// `--requirements 2026-07-28`: directly, through the per-server endpoint
// `/{path}/mcp`, and through a virtual server that exposes all of the
// server's tools, resources and prompts under their own names. Every
// scenario clean directly must be clean through `/{path}/mcp`; the virtual
// server must keep every scenario it was measured clean on (VIRTUAL_CLEAN),
// and its figures are printed next to the others.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProcess } from "../../scripts/processes.ts";
import {
  type Forwarder,
  type Requirements,
  type Results,
  regressions,
  runConformance,
  startForwarder,
  startReferenceServer,
  summary,
} from "./conformance-runner.ts";
import { type Stack, startStack } from "./harness.ts";

let stack: Stack;
let forwarder: Forwarder;
let reference: { url: string; proc: RunningProcess };

/**
 * Scenarios clean through the virtual server when measured (see the report
 * in docs/architecture.md, "Virtual servers"): what it must not lose.
 */
const VIRTUAL_CLEAN: Record<Requirements, string[]> = {
  "2025-11-25": [
    "server-initialize",
    "ping",
    "tools-list",
    "server-sse-multiple-streams",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
    "server-session-lifecycle",
    "json-schema-2020-12",
    "server-sse-polling",
  ],
  "2026-07-28": [
    "tools-list",
    "server-sse-multiple-streams",
    "resources-list",
    "sep-2164-resource-not-found",
    "prompts-list",
    "dns-rebinding-protection",
    "input-required-result-missing-input-response",
    "input-required-result-unsupported-methods",
    "input-required-result-ignore-extra-params",
    "input-required-result-validate-input",
    "json-schema-2020-12",
  ],
};

/**
 * Scenarios clean directly but not through /{path}/mcp when measured: an open
 * gap, listed so that every other scenario stays guarded. server-stateless
 * (2026-07-28): 23 of 28 checks pass through the proxy (30 of 30 directly).
 */
const KNOWN_PATH_GAPS: Record<Requirements, string[]> = {
  "2025-11-25": [],
  "2026-07-28": ["server-stateless"],
};

interface CatalogItem {
  kind: string;
  key: string;
}

async function catalog(id: string, segment: string): Promise<CatalogItem[]> {
  const response = await fetch(`${stack.gateway.url}/api/v1/servers/${id}/${segment}`, {
    headers: { authorization: `Bearer ${stack.token}` },
  });
  return ((await response.json()) as { items: CatalogItem[] }).items;
}

beforeAll(async () => {
  // The suite's scenarios provoke upstream failures on purpose; with the default
  // circuit threshold the reference server's circuit opens mid-run and later
  // scenarios are refused ("every replica's circuit is open"). The breaker is
  // tested in the resilience tests; here it is kept out of the measurement.
  const vars = { CIRCUIT_FAILURE_THRESHOLD: "100000" };
  [stack, reference] = await Promise.all([startStack({ vars }), startReferenceServer()]);
  const server = await stack.register({
    name: "Reference",
    path: "reference",
    endpoints: [{ url: reference.url }],
  });
  expect(server.catalog.status).toBe("ok");
  const [tools, resources, prompts] = await Promise.all(
    ["tools", "resources", "prompts"].map((segment) => catalog(server.id, segment)),
  );
  const created = await fetch(`${stack.gateway.url}/api/v1/virtual-servers`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "reference-all",
      tools: (tools ?? []).map((item) => ({ server: "reference", tool: item.key })),
      resources: (resources ?? []).map((item) => ({ server: "reference", uri: item.key })),
      prompts: (prompts ?? []).map((item) => ({ server: "reference", prompt: item.key })),
    }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  forwarder = await startForwarder(stack.gateway.url, stack.token);
}, 300_000);

afterAll(async () => {
  forwarder?.close();
  await Promise.allSettled([reference?.proc.stop(), stack?.stop()]);
});

describe.each(["2025-11-25", "2026-07-28"] as const)("conformance --requirements %s", (requirements) => {
  it("passes through /{path}/mcp every scenario that passes directly", { timeout: 600_000 }, async () => {
    const direct = await runConformance(reference.url, requirements, `reference-${requirements}-direct`);
    const proxied = await runConformance(
      `${forwarder.url}/reference/mcp`,
      requirements,
      `reference-${requirements}-path`,
    );
    const virtual: Results = await runConformance(
      `${forwarder.url}/v/reference-all/mcp`,
      requirements,
      `reference-${requirements}-virtual`,
    );
    console.log(
      [
        `reference server, --requirements ${requirements}`,
        summary("direct", direct),
        summary("via /{path}/mcp", proxied),
        summary("via /v/{name}/mcp", virtual),
        `virtual clean: ${JSON.stringify([...virtual].filter(([, r]) => r.failed === 0).map(([s]) => s))}`,
        `virtual failing: ${JSON.stringify([...virtual].filter(([, r]) => r.failed > 0).map(([s, r]) => `${s} ${r.passed}/${r.passed + r.failed}`))}`,
      ].join("\n"),
    );
    expect(direct.size).toBeGreaterThan(20);
    expect(regressions(direct, proxied)).toEqual(KNOWN_PATH_GAPS[requirements]);
    const lost = VIRTUAL_CLEAN[requirements].filter((scenario) => (virtual.get(scenario)?.failed ?? 1) > 0);
    expect(lost).toEqual([]);
  });
});
