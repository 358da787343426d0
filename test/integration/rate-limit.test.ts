// Rate limits are exact under concurrency: N concurrent requests against a
// limit L get exactly L grants and N-L refusals (N = 200, L = 50, repeated),
// per identity and server, per identity, and per tenant; REST answers 429
// with Retry-After and the draft RateLimit headers; MCP refusals are the
// JSON-RPC RateLimited error.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../worker/app.ts";
import type { Principal } from "../../worker/auth/principal.ts";
import { ErrorCode } from "../../worker/protocol/jsonrpc.ts";
import { hash53 } from "../../worker/resilience/balancer.ts";
import {
  isLeaseRefusal,
  type LeaseRefusal,
  leaseUpstream,
  refusalToJsonRpc,
  type UpstreamLease,
} from "../../worker/resilience/lease.ts";
import { chargeRateLimits, identityKey } from "../../worker/resilience/rate-limit.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { BASE } from "../support/api.ts";
import { newReplica, registerOn } from "../support/fleet.ts";
import { resilienceDeps } from "../support/resilience.ts";
import { idpToken } from "../support/tokens.ts";

const N = 200;
const L = 50;
let counter = 0;

function someone(tenant: string): Principal {
  counter += 1;
  return {
    subject: `rate-${Date.now().toString(36)}-${counter}`,
    issuer: "https://idp.test",
    tenant,
    groups: [],
    scopes: [],
    kind: "machine",
  };
}

/** The same bindings with other settings (configuration is parsed per bindings object). */
function withSettings(settings: Record<string, string>): Env {
  return { ...env, ...settings } as Env;
}

async function concurrentLeases(
  bindings: Env,
  server: ServerRecord,
  principals: () => Principal,
): Promise<{ granted: UpstreamLease[]; refused: LeaseRefusal[] }> {
  const ctx = createExecutionContext();
  const results = await Promise.all(
    Array.from({ length: N }, () =>
      leaseUpstream(resilienceDeps(bindings), ctx, server, { principal: principals(), method: "tools/list" }),
    ),
  );
  const granted = results.filter((result): result is UpstreamLease => !isLeaseRefusal(result));
  const refused = results.filter(isLeaseRefusal);
  for (const lease of granted) lease.done({ ok: true, reachedUpstream: true, latencyMs: 1 });
  await waitOnExecutionContext(ctx);
  return { granted, refused };
}

describe("exactness under concurrency (N = 200, L = 50)", () => {
  it.each([1, 2, 3])("per identity and server (server override), round %i", async () => {
    const server = await registerOn([await newReplica()], {
      rateLimit: { requests: L, windowSeconds: 86_400 },
    });
    const principal = someone(server.tenant);
    const { granted, refused } = await concurrentLeases(env, server, () => principal);
    expect(granted).toHaveLength(L);
    expect(refused).toHaveLength(N - L);
    for (const refusal of refused) {
      expect(refusal).toMatchObject({ refused: "rate_limited" });
      expect(refusal.retryAfterMs).toBeGreaterThan(0);
    }
    // Another identity has its own budget on the same server.
    const other = await concurrentLeases(env, server, () => someone(server.tenant));
    expect(other.granted).toHaveLength(N);
  });

  it.each([1, 2, 3])("per identity (RATE_LIMIT_PER_IDENTITY), round %i", async () => {
    const bindings = withSettings({ RATE_LIMIT_PER_IDENTITY: `${L}/24h` });
    const server = await registerOn([await newReplica()]);
    const principal = someone(server.tenant);
    const { granted, refused } = await concurrentLeases(bindings, server, () => principal);
    expect(granted).toHaveLength(L);
    expect(refused).toHaveLength(N - L);
  });

  it.each([1, 2, 3])("per tenant (RATE_LIMIT_PER_TENANT, one shard), round %i", async () => {
    const tenant = `rate-tenant-${Date.now().toString(36)}-${counter++}`;
    const bindings = withSettings({ RATE_LIMIT_PER_TENANT: `${L}/24h` });
    const server = { ...(await registerOn([await newReplica()])), tenant };
    // 200 different identities of one tenant share its budget.
    const { granted, refused } = await concurrentLeases(bindings, server, () => someone(tenant));
    expect(granted).toHaveLength(L);
    expect(refused).toHaveLength(N - L);
  });

  it("per tenant over 4 shards: the slices add up to exactly L when every slice is used up", async () => {
    const tenant = `rate-sharded-${Date.now().toString(36)}-${counter++}`;
    const bindings = withSettings({ RATE_LIMIT_PER_TENANT: `${L}/24h`, RATE_LIMIT_TENANT_SHARDS: "4" });
    // 40 identities, 10 on each shard (picked by the limiter's own hash, so no
    // draw of names can leave a shard short), 5 requests each, 200 at once:
    // every shard gets 50 requests, more than its slice of 12 or 13.
    const perShard = [0, 0, 0, 0];
    const people: Principal[] = [];
    while (people.length < 40) {
      const candidate = someone(tenant);
      const shard = hash53(identityKey(candidate)) % 4;
      if ((perShard[shard] ?? 0) >= 10) continue;
      perShard[shard] = (perShard[shard] ?? 0) + 1;
      people.push(candidate);
    }
    let next = 0;
    const ctx = createExecutionContext();
    const results = await Promise.all(
      Array.from({ length: N }, () => {
        const principal = people[next++ % people.length] as Principal;
        return chargeRateLimits(resilienceDeps(bindings), principal, { charge: "all" });
      }),
    );
    await waitOnExecutionContext(ctx);
    expect(results.filter((result) => result.allowed)).toHaveLength(L);
  });

  it("refuses with nothing taken when one of two limits is exhausted", async () => {
    const bindings = withSettings({ RATE_LIMIT_PER_IDENTITY: "1000/24h" });
    const server = await registerOn([await newReplica()], {
      rateLimit: { requests: 5, windowSeconds: 86_400 },
    });
    const principal = someone(server.tenant);
    const { granted } = await concurrentLeases(bindings, server, () => principal);
    expect(granted).toHaveLength(5);
    // The identity-wide counter counted only the 5 grants: 995 left.
    const check = await chargeRateLimits(resilienceDeps(bindings), principal, { charge: "all" });
    expect(check).toMatchObject({ allowed: true, limits: [{ scope: "identity", remaining: 994 }] });
  });
});

describe("answers", () => {
  it("MCP routes: the JSON-RPC RateLimited error with HTTP 429 and the headers", async () => {
    const server = await registerOn([await newReplica()], {
      rateLimit: { requests: 1, windowSeconds: 3_600 },
    });
    const principal = someone(server.tenant);
    const ctx = createExecutionContext();
    const lease = await leaseUpstream(resilienceDeps(env), ctx, server, { principal });
    expect(isLeaseRefusal(lease)).toBe(false);
    expect((lease as UpstreamLease).headers["ratelimit-policy"]).toBe('"identity-server";q=1;w=3600');
    (lease as UpstreamLease).done({ ok: true, reachedUpstream: true, latencyMs: 1 });
    const refusal = await leaseUpstream(resilienceDeps(env), ctx, server, { principal });
    expect(refusal).toMatchObject({ refused: "rate_limited" });
    const rpc = refusalToJsonRpc(refusal as LeaseRefusal, "req-1");
    expect(rpc.status).toBe(429);
    expect(rpc.body.error).toMatchObject({
      code: ErrorCode.RateLimited,
      message: expect.stringContaining("Rate limit exceeded (identity-server)"),
      data: { reason: "rate_limited" },
    });
    expect(Number(rpc.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(rpc.headers.get("ratelimit")).toMatch(/^"identity-server";r=0;t=\d+$/);
    await waitOnExecutionContext(ctx);
  });

  it("REST routes: 429 problem+json with Retry-After and RateLimit headers; headers on allowed answers too", async () => {
    const bindings = withSettings({ RATE_LIMIT_PER_IDENTITY: "3/1h" });
    const app = buildApp();
    const token = await idpToken({ claims: { sub: `rest-${Date.now().toString(36)}` } });
    const call = () => {
      const ctx = createExecutionContext();
      return app.fetch(
        new Request(`${BASE}/api/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } }),
        bindings,
        ctx,
      );
    };
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call());
    for (const [index, answer] of answers.slice(0, 3).entries()) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get("ratelimit-policy")).toBe('"identity";q=3;w=3600');
      expect(answer.headers.get("ratelimit")).toMatch(new RegExp(`^"identity";r=${2 - index};t=\\d+$`));
    }
    const refused = answers[3] as Response;
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit")).toMatch(/^"identity";r=0;t=\d+$/);
    expect(await refused.json()).toMatchObject({
      type: "urn:mcp-gateway:problem:too-many-requests",
      status: 429,
      detail: expect.stringContaining("Rate limit exceeded (identity)"),
    });
  });

  it("the aggregated /mcp endpoint: the identity limit per request, refused as JSON-RPC -32012 with 429", async () => {
    const bindings = withSettings({ RATE_LIMIT_PER_IDENTITY: "2/1h" });
    const app = buildApp();
    const token = await idpToken({ claims: { sub: `mcp-${Date.now().toString(36)}` } });
    const call = (id: number) =>
      app.fetch(
        new Request(`${BASE}/mcp`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": "tools/list",
          },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id,
            method: "tools/list",
            params: {
              _meta: {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
              },
            },
          }),
        }),
        bindings,
        createExecutionContext(),
      );
    const statuses: number[] = [];
    let refused: Response | null = null;
    for (let id = 1; id <= 3; id++) {
      const answer = await call(id);
      statuses.push(answer.status);
      if (answer.status === 429) refused = answer;
      else await answer.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(refused?.headers.get("ratelimit")).toMatch(/^"identity";r=0;t=\d+$/);
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused?.json()).toMatchObject({
      error: { code: ErrorCode.RateLimited, data: { scope: "identity" } },
    });
  });

  it("no limit configured: no Durable Object is asked and no header is sent", async () => {
    const server = await registerOn([await newReplica()]);
    const result = await chargeRateLimits(resilienceDeps(env), someone(server.tenant), {
      server,
      charge: "all",
    });
    expect(result).toEqual({ allowed: true, limits: [] });
  });
});
