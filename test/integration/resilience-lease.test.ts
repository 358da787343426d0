// The permit path against real replicas with injected faults: circuit
// breakers opening, answering fast and recovering through half-open; failover
// that keeps a run of 200 tools/calls free of failures while a replica dies,
// and never re-sends a tools/call that may have been delivered; session
// pinning; least-connections and consistent hashing through the lease.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { serverStateName } from "../../worker/platform/durable-objects.ts";
import { ErrorCode } from "../../worker/protocol/jsonrpc.ts";
import {
  isLeaseRefusal,
  type LeaseRefusal,
  leaseUpstream,
  refusalToJsonRpc,
  resetResilienceCache,
  type UpstreamLease,
  withFailover,
} from "../../worker/resilience/lease.ts";
import { serverRef } from "../../worker/resilience/state-types.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { api } from "../support/api.ts";
import { callTool, fault, newReplica, registerOn, stats } from "../support/fleet.ts";
import { resilienceDeps } from "../support/resilience.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function caller(server: ServerRecord, subject = "lease-tester"): Principal {
  return {
    subject,
    issuer: "https://idp.test",
    tenant: server.tenant,
    groups: [],
    scopes: [],
    kind: "machine",
  };
}

function stateOf(server: ServerRecord) {
  return env.SERVER_STATE.get(env.SERVER_STATE.idFromName(serverStateName(server.id))).describe(
    serverRef(server),
  );
}

function expectLease(value: UpstreamLease | LeaseRefusal): UpstreamLease {
  if (isLeaseRefusal(value)) throw new Error(`expected a lease, got a refusal: ${value.message}`);
  return value;
}

beforeEach(() => {
  resetResilienceCache();
});

describe("circuit breaker", () => {
  it("opens after the configured failures, answers fast, and recovers through half-open", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica], {
      circuitBreaker: { failureThreshold: 3, cooldownMs: 1_000 },
    });
    const principal = caller(server);
    await fault(replica, "error", { status: 503 });

    const ctx = createExecutionContext();
    for (let i = 0; i < 3; i++) {
      const lease = expectLease(
        await leaseUpstream(resilienceDeps(env), ctx, server, { principal, method: "tools/call" }),
      );
      const result = await callTool(lease);
      expect(result.ok).toBe(false);
      lease.done(result);
    }
    await waitOnExecutionContext(ctx);
    expect((await stateOf(server)).circuits).toEqual([
      expect.objectContaining({
        url: replica.url,
        phase: "open",
        reason: expect.stringContaining("3 consecutive"),
      }),
    ]);

    // Open: refused at once, without a request to the replica.
    const before = (await stats(replica)).requests;
    const startedAt = Date.now();
    const refusal = await leaseUpstream(resilienceDeps(env), ctx, server, {
      principal,
      method: "tools/call",
    });
    expect(Date.now() - startedAt).toBeLessThan(200);
    expect(refusal).toMatchObject({ refused: "circuit_open" });
    expect((await stats(replica)).requests).toBe(before);
    const rpc = refusalToJsonRpc(refusal as LeaseRefusal, 7);
    expect(rpc.status).toBe(503);
    expect(rpc.body).toMatchObject({
      jsonrpc: "2.0",
      id: 7,
      error: { code: ErrorCode.UpstreamUnavailable, message: expect.stringContaining("circuit is open") },
    });
    expect(Number(rpc.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    // Another isolate (an empty cache) learns the open circuit from the ServerState object.
    resetResilienceCache();
    expect(
      await leaseUpstream(resilienceDeps(env), ctx, server, { principal, method: "tools/call" }),
    ).toMatchObject({
      refused: "circuit_open",
    });

    // Still failing after the cool-down: the half-open probe fails and the circuit reopens.
    await sleep(1_050);
    const failedProbe = expectLease(
      await leaseUpstream(resilienceDeps(env), ctx, server, { principal, method: "tools/call" }),
    );
    failedProbe.done(await callTool(failedProbe));
    await waitOnExecutionContext(ctx);
    expect((await stateOf(server)).circuits[0]).toMatchObject({
      phase: "open",
      reason: expect.stringContaining("probe failed"),
    });

    // Healthy again: after the cool-down one probe goes through (one at a time), succeeds, and closes the circuit.
    await fault(replica, "ok");
    await sleep(1_050);
    const ctx2 = createExecutionContext();
    const probe = expectLease(
      await leaseUpstream(resilienceDeps(env), ctx2, server, { principal, method: "tools/call" }),
    );
    expect(
      await leaseUpstream(resilienceDeps(env), ctx2, server, { principal, method: "tools/call" }),
    ).toMatchObject({
      refused: "circuit_open",
    });
    const result = await callTool(probe);
    expect(result).toMatchObject({ ok: true, value: { text: replica.id } });
    probe.done(result);
    await waitOnExecutionContext(ctx2);
    expect((await stateOf(server)).circuits[0]).toMatchObject({ phase: "closed", failures: 0 });
    resetResilienceCache();
    const after = expectLease(
      await leaseUpstream(resilienceDeps(env), ctx2, server, { principal, method: "tools/call" }),
    );
    after.done(await callTool(after));
  });

  it("opens on a failed health check and closes through traffic once checks pass again", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    const principal = caller(server);
    await fault(replica, "kill");
    const refreshed = await api(`/api/v1/servers/${server.id}/refresh`, { method: "POST" });
    expect(refreshed.status).toBe(200);
    expect((await stateOf(server)).circuits[0]).toMatchObject({
      phase: "open",
      reason: expect.stringContaining("health check failed"),
    });
    const ctx = createExecutionContext();
    expect(await leaseUpstream(resilienceDeps(env), ctx, server, { principal })).toMatchObject({
      refused: "circuit_open",
    });

    await fault(replica, "restart");
    await api(`/api/v1/servers/${server.id}/refresh`, { method: "POST" });
    // A passing check makes the circuit half-open at once; the next request is the probe.
    resetResilienceCache();
    const probe = expectLease(await leaseUpstream(resilienceDeps(env), ctx, server, { principal }));
    probe.done(await callTool(probe));
    await waitOnExecutionContext(ctx);
    expect((await stateOf(server)).circuits[0]).toMatchObject({ phase: "closed" });
  });
});

describe("failover", () => {
  it("keeps a run of 200 tools/calls free of failures while one of two replicas is killed", async () => {
    const [a, b] = [await newReplica(), await newReplica()];
    const server = await registerOn([a as NonNullable<typeof a>, b as NonNullable<typeof b>], {
      loadBalancing: { strategy: "round-robin" },
    });
    if (!a || !b) throw new Error("no replicas");
    // A health check teaches the object that TCP connect checks tell the truth for both replicas.
    expect((await api(`/api/v1/servers/${server.id}/refresh`, { method: "POST" })).status).toBe(200);
    resetResilienceCache();

    const principal = caller(server);
    const served = new Map<string, number>();
    const failures: string[] = [];
    const ctx = createExecutionContext();
    for (let i = 0; i < 200; i++) {
      if (i === 50) await fault(a, "kill");
      const outcome = await withFailover(
        resilienceDeps(env),
        ctx,
        server,
        { principal, method: "tools/call" },
        (lease) => callTool(lease),
      );
      if (isLeaseRefusal(outcome)) failures.push(outcome.message);
      else if (outcome.value.status !== 200) failures.push(outcome.value.text);
      else served.set(outcome.value.text, (served.get(outcome.value.text) ?? 0) + 1);
    }
    await waitOnExecutionContext(ctx);
    expect(failures).toEqual([]);
    expect(served.get(a.id)).toBe(25);
    expect(served.get(b.id)).toBe(175);
    // The dead replica's circuit opened from the refused connections.
    expect((await stateOf(server)).circuits.find((c) => c.url === a.url)).toMatchObject({ phase: "open" });
  });

  it("never re-sends a tools/call that may have reached a replica, but retries reads", async () => {
    const [a, b] = [await newReplica(), await newReplica()];
    if (!a || !b) throw new Error("no replicas");
    const server = await registerOn([a, b], {
      loadBalancing: { strategy: "consistent-hash", hashOn: "identity" },
    });
    const ctx = createExecutionContext();
    // Find an identity that hashes to replica a, so the first attempt goes there.
    let principal = caller(server, "probe-0");
    for (let i = 1; ; i++) {
      const lease = expectLease(
        await leaseUpstream(resilienceDeps(env), ctx, server, { principal, method: "tools/list" }),
      );
      lease.done({ ok: true, reachedUpstream: true, latencyMs: 1 });
      if (lease.endpoint.url === a.url) break;
      principal = caller(server, `probe-${i}`);
    }
    // a reads each request and then resets the connection: the call may have been delivered.
    await fault(a, "reset");
    const callsBefore = (await stats(b)).calls;
    const call = await withFailover(
      resilienceDeps(env),
      ctx,
      server,
      { principal, method: "tools/call" },
      (lease) => callTool(lease),
    );
    expect(isLeaseRefusal(call)).toBe(false);
    expect(call).toMatchObject({ attempts: 1, value: { status: 0 } });
    expect((await stats(b)).calls).toBe(callsBefore);
    expect((await stats(a)).calls).toBe(0); // reset before the tool ran, but a could not know that

    // A read (idempotent) goes on to the other replica.
    const read = await withFailover(
      resilienceDeps(env),
      ctx,
      server,
      { principal, method: "tools/list" },
      async (lease) => {
        const result = await callTool(lease);
        return result;
      },
    );
    expect(read).toMatchObject({ attempts: 2, value: { status: 200, text: b.id } });
    await waitOnExecutionContext(ctx);
  });

  it("treats a cut stream as a failure that reached the upstream", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    await fault(replica, "reset-mid-stream");
    const ctx = createExecutionContext();
    const outcome = await withFailover(
      resilienceDeps(env),
      ctx,
      server,
      { principal: caller(server), method: "tools/call" },
      (lease) => callTool(lease),
    );
    expect(outcome).toMatchObject({ attempts: 1, value: { status: 0 } });
    expect((await stats(replica)).calls).toBe(1);
    await waitOnExecutionContext(ctx);
  });
});

describe("streamed answers", () => {
  it("reports a stream that breaks after its headers as a failure of the replica (settled)", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica], { circuitBreaker: { failureThreshold: 1 } });
    await fault(replica, "reset-mid-stream");
    const ctx = createExecutionContext();
    const outcome = await withFailover(
      resilienceDeps(env),
      ctx,
      server,
      { principal: caller(server), method: "tools/call" },
      async (lease) => {
        const startedAt = Date.now();
        const response = await fetch(lease.endpoint.url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami" } }),
        });
        // Headers arrived: the attempt counts as answered; the stream's end decides the outcome.
        const settled = response.text().then(
          () => ({ ok: true, reachedUpstream: true, latencyMs: Date.now() - startedAt }),
          (error: unknown) => ({
            ok: false,
            reachedUpstream: true,
            latencyMs: Date.now() - startedAt,
            reason: `stream cut: ${String(error)}`,
          }),
        );
        return { value: response.status, ok: true, reachedUpstream: true, latencyMs: 1, settled };
      },
    );
    expect(outcome).toMatchObject({ value: 200, attempts: 1 });
    await sleep(200);
    await waitOnExecutionContext(ctx);
    expect((await stateOf(server)).circuits[0]).toMatchObject({
      phase: "open",
      reason: expect.stringContaining("stream cut"),
    });
  });
});

describe("replica choice through the lease", () => {
  it("pins a session to its replica and refuses rather than move it", async () => {
    const [a, b] = [await newReplica(), await newReplica()];
    if (!a || !b) throw new Error("no replicas");
    const server = await registerOn([a, b], {
      loadBalancing: { strategy: "round-robin" },
      circuitBreaker: { failureThreshold: 1 },
    });
    const principal = caller(server);
    const ctx = createExecutionContext();
    for (let i = 0; i < 6; i++) {
      const lease = expectLease(
        await leaseUpstream(resilienceDeps(env), ctx, server, { principal, pinnedUrl: b.url }),
      );
      expect(lease.endpoint.url).toBe(b.url);
      lease.done({ ok: true, reachedUpstream: true, latencyMs: 1 });
    }
    const lease = expectLease(
      await leaseUpstream(resilienceDeps(env), ctx, server, { principal, pinnedUrl: b.url }),
    );
    lease.done({ ok: false, reachedUpstream: true, latencyMs: 1, reason: "HTTP 502" });
    expect(
      await leaseUpstream(resilienceDeps(env), ctx, server, { principal, pinnedUrl: b.url }),
    ).toMatchObject({
      refused: "circuit_open",
    });
    expect(
      await leaseUpstream(resilienceDeps(env), ctx, server, {
        principal,
        pinnedUrl: "http://127.0.0.1:1/gone",
      }),
    ).toMatchObject({
      refused: "no_replica",
    });
    await waitOnExecutionContext(ctx);
  });

  it("least-connections sends new requests to the replica with fewer in flight", async () => {
    const [a, b] = [await newReplica(), await newReplica()];
    if (!a || !b) throw new Error("no replicas");
    const server = await registerOn([a, b], { loadBalancing: { strategy: "least-connections" } });
    const principal = caller(server);
    const ctx = createExecutionContext();
    const first = expectLease(await leaseUpstream(resilienceDeps(env), ctx, server, { principal }));
    const others: string[] = [];
    for (let i = 0; i < 5; i++) {
      const lease = expectLease(await leaseUpstream(resilienceDeps(env), ctx, server, { principal }));
      others.push(lease.endpoint.url);
      lease.done({ ok: true, reachedUpstream: true, latencyMs: 1 });
    }
    // While `first` is in flight, every other request goes to the other replica.
    expect(new Set(others)).toEqual(new Set([first.endpoint.url === a.url ? b.url : a.url]));
    first.done({ ok: true, reachedUpstream: true, latencyMs: 1 });
    await waitOnExecutionContext(ctx);
  });

  it("consistent hashing keeps each identity on one replica and spreads identities", async () => {
    const replicas = [await newReplica(), await newReplica(), await newReplica()];
    const server = await registerOn(replicas, {
      loadBalancing: { strategy: "consistent-hash", hashOn: "identity" },
    });
    const ctx = createExecutionContext();
    const used = new Set<string>();
    for (let user = 0; user < 30; user++) {
      const principal = caller(server, `user-${user}`);
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const lease = expectLease(await leaseUpstream(resilienceDeps(env), ctx, server, { principal }));
        seen.add(lease.endpoint.url);
        lease.done({ ok: true, reachedUpstream: true, latencyMs: 1 });
      }
      expect(seen.size).toBe(1);
      for (const url of seen) used.add(url);
    }
    expect(used.size).toBe(3);
    // hashOn "session": the affinity key decides, not the identity.
    const bySession = await registerOn(replicas, {
      loadBalancing: { strategy: "consistent-hash", hashOn: "session" },
    });
    const principal = caller(bySession);
    const urls = new Set<string>();
    for (let session = 0; session < 20; session++) {
      const lease = expectLease(
        await leaseUpstream(resilienceDeps(env), ctx, bySession, {
          principal,
          affinityKey: `session-${session}`,
        }),
      );
      urls.add(lease.endpoint.url);
      lease.done({ ok: true, reachedUpstream: true, latencyMs: 1 });
    }
    expect(urls.size).toBeGreaterThan(1);
    await waitOnExecutionContext(ctx);
  });

  it("refuses when no replica speaks the requested transport", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    const ctx = createExecutionContext();
    expect(
      await leaseUpstream(resilienceDeps(env), ctx, server, { principal: caller(server), transport: "sse" }),
    ).toMatchObject({
      refused: "no_replica",
      message: expect.stringContaining("no sse replica"),
    });
  });
});
