// One MCP-level health check of one replica: a real protocol exchange
// (the handshake, then ping where the revision has one) over the same connection code the
// catalog reader and the aggregated endpoint use, bounded by a timeout. The
// latency is the time to the ping's answer; closing is not counted.

import { deadline as startDeadline, untilAborted } from "../platform/deadline.ts";
import type { ReplicaCheck } from "../resilience/state-types.ts";
import type { HealthStatus } from "../store/registry-store.ts";
import { UpstreamConnection, type UpstreamTarget } from "./upstream-client.ts";
import { explainFailure } from "./upstream-failure.ts";

export interface ProbeOptions {
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Reported as the replica's URL (without egress query parameters). */
  url: string;
  now?: () => number;
  /**
   * Per-user (`oauth`) egress: the probe carries no one's credential, so the
   * upstream's 401 to it proves the replica is up (it answered, and wants a user).
   */
  unauthorizedIsAlive?: boolean;
}

export async function probeReplica(target: UpstreamTarget, options: ProbeOptions): Promise<ReplicaCheck> {
  const now = options.now ?? Date.now;
  const deadline = startDeadline(options.timeoutMs);
  const startedAt = now();
  let phase = "initialize";
  let connection: UpstreamConnection | null = null;
  try {
    connection = new UpstreamConnection(target, {
      signal: deadline.signal,
      // The generation calls use: a 2026-07-28-only server has no `initialize` (nor `ping`).
      negotiation: "auto",
      ...(options.fetch && { fetch: options.fetch }),
    });
    const requestOptions = { signal: deadline.signal, timeout: options.timeoutMs };
    await untilAborted(connection.connect(requestOptions), deadline.signal);
    // 2026-07-28 removed ping: the `server/discover` answer of the handshake is the check.
    if (connection.client.getProtocolEra() !== "modern") {
      phase = "ping";
      await untilAborted(connection.client.ping(requestOptions), deadline.signal);
    }
    return { url: options.url, ok: true, latencyMs: Math.max(0, now() - startedAt), error: null };
  } catch (error) {
    if (options.unauthorizedIsAlive && connection?.observed.lastPostStatus === 401) {
      return { url: options.url, ok: true, latencyMs: Math.max(0, now() - startedAt), error: null };
    }
    const reason = deadline.signal.aborted
      ? `timed out after ${options.timeoutMs} ms (during ${phase})`
      : explainFailure(error, phase, connection?.observed.failure);
    return { url: options.url, ok: false, latencyMs: null, error: reason };
  } finally {
    deadline.clear();
    // Ends the upstream session too: a health check must not leave sessions behind.
    await connection?.close(true);
  }
}

/**
 * The server's status from its replicas' checks: `unknown` without checks,
 * `unhealthy` when none answered, `degraded` when some did not or the
 * answers were slower than `degradedLatencyMs`, else `healthy`. Latency is
 * the median of the replicas that answered.
 */
export function summarizeChecks(
  checks: ReplicaCheck[],
  degradedLatencyMs: number,
): { status: HealthStatus; latencyMs: number | null; error: string | null } {
  if (checks.length === 0) return { status: "unknown", latencyMs: null, error: null };
  const up = checks.filter((check) => check.ok);
  const failed = checks.filter((check) => !check.ok);
  const error =
    failed.length === 0
      ? null
      : failed
          .map((check) => (checks.length > 1 ? `${check.url}: ${check.error}` : `${check.error}`))
          .join("; ");
  if (up.length === 0) return { status: "unhealthy", latencyMs: null, error };
  const latencies = up.map((check) => check.latencyMs ?? 0).sort((a, b) => a - b);
  const latencyMs = latencies[Math.floor((latencies.length - 1) / 2)] ?? null;
  const slow = latencyMs !== null && latencyMs > degradedLatencyMs;
  if (failed.length > 0 || slow) {
    return { status: "degraded", latencyMs, error: error ?? `answered in ${latencyMs} ms (slow)` };
  }
  return { status: "healthy", latencyMs, error: null };
}
