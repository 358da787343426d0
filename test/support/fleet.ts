// Test-side client of the fault-injectable replica fleet (fault-fleet.ts) and
// helpers to register servers on its replicas and call them the way the MCP
// proxies will: lease, send a real JSON-RPC request, report the outcome.
import { inject } from "vitest";
import {
  type AttemptResult,
  NEVER_REACHED_STATUSES,
  type UpstreamLease,
} from "../../worker/resilience/lease.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { api, uniquePath } from "./api.ts";
import type { FaultMode, FleetResource } from "./fault-fleet.ts";

export interface Replica {
  id: string;
  url: string;
  port: number;
}

function control(): string {
  return inject("upstreams").faultFleetUrl;
}

export async function newReplica(): Promise<Replica> {
  const response = await fetch(`${control()}/replicas`, { method: "POST" });
  return (await response.json()) as Replica;
}

export async function fault(
  replica: Replica,
  mode: FaultMode,
  options: { delayMs?: number; status?: number } = {},
): Promise<void> {
  const response = await fetch(`${control()}/replicas/${replica.id}/fault`, {
    method: "POST",
    body: JSON.stringify({ mode, ...options }),
  });
  if (!response.ok) throw new Error(`fault ${mode}: ${response.status} ${await response.text()}`);
  await response.body?.cancel();
}

export async function setTools(replica: Replica, tools: Record<string, unknown>[]): Promise<void> {
  const response = await fetch(`${control()}/replicas/${replica.id}/tools`, {
    method: "POST",
    body: JSON.stringify({ tools }),
  });
  await response.body?.cancel();
}

/** Gives the replica text resources (before registering it, so the catalog lists them). */
export async function setResources(replica: Replica, resources: FleetResource[]): Promise<void> {
  const response = await fetch(`${control()}/replicas/${replica.id}/resources`, {
    method: "POST",
    body: JSON.stringify({ resources }),
  });
  await response.body?.cancel();
}

export interface ReplicaStats {
  requests: number;
  calls: number;
  byMethod: Record<string, number>;
  sessions: number;
  listening: boolean;
}

export async function stats(replica: Replica): Promise<ReplicaStats> {
  return (await (await fetch(`${control()}/replicas/${replica.id}/stats`)).json()) as ReplicaStats;
}

/** Registers a server on the given replicas through the REST API; returns the stored record. */
export async function registerOn(
  replicas: Replica[],
  fields: Record<string, unknown> = {},
): Promise<ServerRecord> {
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: {
      name: "Resilience test",
      path: uniquePath("res"),
      endpoints: replicas.map((replica) => ({ url: replica.url, transport: "streamable-http" })),
      timeoutMs: 5_000,
      ...fields,
    },
  });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
  const { tools: _tools, ...record } = (await response.json()) as ServerRecord & { tools: unknown };
  return record;
}

export interface CallValue {
  status: number;
  /** The replica id that answered `whoami`, or the error text. */
  text: string;
}

/**
 * Sends one tools/call to the leased replica as a proxy would, and says what
 * happened: a 5xx, a cut stream or a failed connection is a failure; only a
 * status from Cloudflare's edge proves the request never reached the upstream.
 */
export async function callTool(
  lease: UpstreamLease,
  tool = "whoami",
  args: Record<string, unknown> = {},
  timeoutMs = 5_000,
): Promise<AttemptResult<CallValue>> {
  const startedAt = Date.now();
  try {
    const response = await fetch(lease.endpoint.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: tool, arguments: args },
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    const latencyMs = Date.now() - startedAt;
    if (response.status >= 500) {
      return {
        value: { status: response.status, text: body },
        ok: false,
        reachedUpstream: !NEVER_REACHED_STATUSES.has(response.status),
        latencyMs,
        reason: `HTTP ${response.status}`,
      };
    }
    const parsed = JSON.parse(body) as { result?: { content?: { text?: string }[] } };
    return {
      value: { status: response.status, text: parsed.result?.content?.[0]?.text ?? body },
      ok: true,
      reachedUpstream: true,
      latencyMs,
    };
  } catch (error) {
    return {
      value: { status: 0, text: String(error) },
      ok: false,
      // A failed fetch cannot tell a refused connection from one cut after sending.
      reachedUpstream: true,
      latencyMs: Date.now() - startedAt,
      reason: error instanceof Error ? error.message : String(error),
    };
  }
}
