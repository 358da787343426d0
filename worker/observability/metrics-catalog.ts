// The gateway's metrics: names (the seed's where it has one), types, help
// text and label names. One definition per metric, so the recorder and the
// exposition cannot disagree. Labels are few and bounded (tenant, server
// path, tool, method, outcome...): callers are never a Prometheus label
// (they are in the usage rollups instead).

export type MetricType = "counter" | "histogram";

export interface MetricDefinition<L extends string = string> {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly L[];
}

// The latency buckets are part of the stored rollup shape, so they live with the store port.
export { LATENCY_BUCKET_COUNT, LATENCY_BUCKETS_MS, LATENCY_BUCKETS_SECONDS } from "../store/metrics-store.ts";

function define<L extends string>(
  name: string,
  type: MetricType,
  help: string,
  labels: readonly L[],
): MetricDefinition<L> {
  return { name, type, help, labels };
}

export const METRICS = {
  requests: define("mcp_requests_total", "counter", "MCP JSON-RPC requests by outcome", [
    "tenant",
    "server",
    "method",
    "outcome",
  ]),
  errors: define("mcp_request_errors_total", "counter", "MCP requests that did not succeed", [
    "tenant",
    "server",
    "method",
    "outcome",
  ]),
  requestLatency: define(
    "mcp_protocol_latency_seconds",
    "histogram",
    "Total time the gateway spent on an MCP request",
    ["tenant", "server", "method"],
  ),
  toolExecutions: define("mcp_tool_executions_total", "counter", "tools/call requests by outcome", [
    "tenant",
    "server",
    "tool",
    "outcome",
  ]),
  toolLatency: define(
    "mcp_tool_execution_duration_seconds",
    "histogram",
    "Total time of tools/call requests",
    ["tenant", "server", "tool"],
  ),
  upstreamLatency: define(
    "mcp_upstream_duration_seconds",
    "histogram",
    "Time until an upstream MCP server answered (response headers)",
    ["tenant", "server", "outcome"],
  ),
  authRequests: define("mcp_auth_requests_total", "counter", "Bearer token authentications", [
    "success",
    "reason",
  ]),
  authLatency: define(
    "mcp_auth_request_duration_seconds",
    "histogram",
    "Time to authenticate a bearer token",
    ["success"],
  ),
  rateLimitRefusals: define("mcp_rate_limit_refusals_total", "counter", "Requests refused by a rate limit", [
    "tenant",
    "scope",
  ]),
  circuitOpenings: define("mcp_circuit_openings_total", "counter", "Replica circuits that opened", [
    "tenant",
    "server",
  ]),
  healthChecks: define("mcp_health_checks_total", "counter", "Server health checks by result", [
    "tenant",
    "server",
    "status",
  ]),
  discovery: define("mcp_tool_discovery_total", "counter", "Discovery (search) queries", [
    "tenant",
    "type",
    "mode",
  ]),
  discoveryLatency: define(
    "mcp_tool_discovery_duration_seconds",
    "histogram",
    "Time to answer a discovery query",
    ["tenant", "type"],
  ),
  catalogChanges: define(
    "mcp_catalog_changes_total",
    "counter",
    "Catalog entries added, changed or removed, seen by catalog refreshes",
    ["tenant", "server", "kind", "change"],
  ),
} as const;

export const ALL_METRICS: MetricDefinition[] = Object.values(METRICS);

/** Outcomes of an MCP request that count as success. */
export const SUCCESS_OUTCOMES = new Set(["ok"]);
