// The permit path's steady state (resilience/sole-replica.ts): it leases only
// when there is nothing to decide (one replica, no rate limit, a fresh state
// copy, a closed circuit) and otherwise leaves the request to the full path
// without leasing or charging anything; its outcomes reach the circuit like
// the full path's (three failures open it, and then it steps aside so the
// full path refuses).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { resetResilienceCache, stateOf } from "../../worker/resilience/replica-state.ts";
import { onSoleReplica } from "../../worker/resilience/sole-replica.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { sampleServer } from "../contract/registry-store.contract.ts";
import { resilienceDeps } from "../support/resilience.ts";

const ok = async () => ({ value: "answer", ok: true, reachedUpstream: true, latencyMs: 1 });
const failed = async () => ({
  value: "failed",
  ok: false,
  reachedUpstream: true,
  latencyMs: 1,
  reason: "HTTP 500",
});

function server(overrides: Partial<ServerRecord> = {}): ServerRecord {
  return sampleServer({
    endpoints: [
      { url: `http://replica-${crypto.randomUUID()}.test/mcp`, transport: "streamable-http", weight: 1 },
    ],
    rateLimit: null,
    ...overrides,
  });
}

let deps: ReturnType<typeof resilienceDeps>;
beforeEach(() => {
  resetResilienceCache();
  deps = resilienceDeps(env);
});

describe("onSoleReplica", () => {
  it("leases the only replica once the state copy is fresh, and not before", async () => {
    const target = server();
    const ctx = createExecutionContext();
    expect(await onSoleReplica(deps, ctx, target, {}, ok)).toBeNull();
    await stateOf(env, target, deps.settings);
    const run = await onSoleReplica(deps, ctx, target, { transport: "streamable-http" }, ok);
    expect(run?.value).toBe("answer");
    expect(run?.lease.endpoint.url).toBe(target.endpoints[0]?.url);
    await waitOnExecutionContext(ctx);
  });

  it("steps aside for several replicas, a configured limit, another transport or another pinned replica", async () => {
    const ctx = createExecutionContext();
    const two = server();
    two.endpoints.push({ url: "http://second.test/mcp", transport: "streamable-http", weight: 1 });
    const limited = server({ rateLimit: { requests: 10, windowSeconds: 60 } });
    const plain = server();
    for (const target of [two, limited, plain]) await stateOf(env, target, deps.settings);
    expect(await onSoleReplica(deps, ctx, two, {}, ok)).toBeNull();
    expect(await onSoleReplica(deps, ctx, limited, {}, ok)).toBeNull();
    expect(await onSoleReplica(deps, ctx, plain, { transport: "sse" }, ok)).toBeNull();
    expect(await onSoleReplica(deps, ctx, plain, { pinnedUrl: "http://elsewhere.test/mcp" }, ok)).toBeNull();
    expect(await onSoleReplica(deps, ctx, plain, {}, ok)).not.toBeNull();
    await waitOnExecutionContext(ctx);
  });

  it("reports failures to the circuit and leaves an open circuit to the full path", async () => {
    const target = server();
    const ctx = createExecutionContext();
    await stateOf(env, target, deps.settings);
    const threshold = target.circuitBreaker?.failureThreshold ?? deps.settings.circuit.failureThreshold;
    for (let i = 0; i < threshold; i++) {
      expect((await onSoleReplica(deps, ctx, target, {}, failed))?.value).toBe("failed");
    }
    // Opened in this isolate at once: nothing is leased, the full path answers with its refusal.
    expect(await onSoleReplica(deps, ctx, target, {}, ok)).toBeNull();
    await waitOnExecutionContext(ctx);
  });

  it("loads the state ahead once the copy is past half its cache time, so the steady state never lapses", async () => {
    const target = server();
    const settings = { ...deps.settings, stateCacheMs: 2_000 };
    const ahead = { ...deps, settings };
    await stateOf(env, target, settings);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const ctx = createExecutionContext();
    // Still fresh: leased; and this request loads the copy again after its response.
    expect((await onSoleReplica(ahead, ctx, target, {}, ok))?.value).toBe("answer");
    await waitOnExecutionContext(ctx);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Past the first load's cache time, within the second's: still the steady state.
    const later = createExecutionContext();
    expect((await onSoleReplica(ahead, later, target, {}, ok))?.value).toBe("answer");
    await waitOnExecutionContext(later);
  });

  it("does not load ahead while the copy is young", async () => {
    const target = server();
    const settings = { ...deps.settings, stateCacheMs: 1_000 };
    await stateOf(env, target, settings);
    const ctx = createExecutionContext();
    expect(await onSoleReplica({ ...deps, settings }, ctx, target, {}, ok)).not.toBeNull();
    await waitOnExecutionContext(ctx);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Nothing loaded it again: the copy is stale and the full path takes over.
    expect(await onSoleReplica({ ...deps, settings }, createExecutionContext(), target, {}, ok)).toBeNull();
  });
});
