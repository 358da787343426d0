// The per-(caller, server) route cache of /{path}/mcp (proxy/proxy-route.ts):
// a hit asks no service; an entry never outlives the earliest expiry of the
// server, policy and approvals it was built from; a local write (the route
// epoch) voids every entry at once; a change of the caller's groups or
// scopes is another entry; visibility and the usable-server rule are applied
// when the entry is built; the cache is bounded.
import { afterEach, describe, expect, it, vi } from "vitest";
import defaultScopesYaml from "../../config/scopes.yml";
import type { Principal } from "../../worker/auth/principal.ts";
import { compilePolicy } from "../../worker/policy/access-policy.ts";
import { parseScopesYaml } from "../../worker/policy/scopes-yaml.ts";
import {
  cachedProxyRoutes,
  forgetProxyRoutes,
  MAX_ROUTES,
  proxyRouteFor,
  type RouteSources,
} from "../../worker/proxy/proxy-route.ts";
import { RouteEpoch } from "../../worker/registry/route-epoch.ts";
import { pinSet } from "../../worker/security/pinning.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { sampleServer } from "../contract/registry-store.contract.ts";

const parsed = parseScopesYaml(defaultScopesYaml);
if (!parsed.ok) throw new Error("config/scopes.yml does not parse");
const policy = compilePolicy(parsed.document);

const admin: Principal = {
  tenant: "tenant-a",
  issuer: "https://idp.test",
  subject: "alice",
  groups: ["mcp-registry-admin"],
  scopes: [],
  kind: "user",
};
const stranger: Principal = { ...admin, subject: "mallory", groups: [] };

function sources(servers: ServerRecord[], options: { until?: () => number } = {}) {
  const reads = { servers: 0, policies: 0, pins: 0 };
  const until = options.until ?? (() => Date.now() + 60_000);
  const routeEpoch = new RouteEpoch();
  const deps: RouteSources = {
    routeEpoch,
    directory: {
      byPathEntry: async (path) => {
        reads.servers += 1;
        return { server: servers.find((server) => server.path === path) ?? null, until: until() };
      },
    },
    access: {
      policyEntry: async () => {
        reads.policies += 1;
        return { policy, until: Date.now() + 60_000 };
      },
    },
    approvals: {
      pinsEntry: async () => {
        reads.pins += 1;
        return { pins: pinSet([], "auto", "refuse"), until: Date.now() + 60_000 };
      },
    },
  };
  return { deps, reads, routeEpoch };
}

afterEach(() => vi.useRealTimers());

describe("proxyRouteFor", () => {
  it("builds a route once and answers later requests without asking any service", async () => {
    const server = sampleServer({ path: "alpha" });
    const { deps, reads } = sources([server]);
    const first = await proxyRouteFor(deps, {}, admin, "alpha");
    expect(first?.server).toEqual(server);
    expect(first?.guard.decide("tools/call", "anything").allow).toBe(true);
    for (let i = 0; i < 5; i++) expect(await proxyRouteFor(deps, {}, { ...admin }, "alpha")).toBe(first);
    expect(reads).toEqual({ servers: 1, policies: 1, pins: 1 });
    forgetProxyRoutes(deps);
  });

  it("rebuilds when the route epoch moves (a write in this isolate)", async () => {
    const server = sampleServer({ path: "alpha" });
    const { deps, reads, routeEpoch } = sources([server]);
    await proxyRouteFor(deps, {}, admin, "alpha");
    await routeEpoch.serverSaved(server);
    await proxyRouteFor(deps, {}, admin, "alpha");
    routeEpoch.changed();
    await proxyRouteFor(deps, {}, admin, "alpha");
    expect(reads.servers).toBe(3);
    forgetProxyRoutes(deps);
  });

  it("never keeps an entry past the earliest expiry it was built from", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const server = sampleServer({ path: "alpha" });
    const { deps, reads } = sources([server], { until: () => Date.now() + 2_000 });
    await proxyRouteFor(deps, {}, admin, "alpha");
    vi.setSystemTime(1_001_999);
    await proxyRouteFor(deps, {}, admin, "alpha");
    expect(reads.servers).toBe(1);
    vi.setSystemTime(1_002_000);
    await proxyRouteFor(deps, {}, admin, "alpha");
    expect(reads.servers).toBe(2);
    forgetProxyRoutes(deps);
  });

  it("keys on the caller's identity, groups and scopes", async () => {
    const server = sampleServer({ path: "alpha", visibility: "private", owner: "someone-else" });
    const { deps, reads } = sources([server]);
    expect(await proxyRouteFor(deps, {}, admin, "alpha")).not.toBeNull();
    // Same subject without the admin group: another entry, and it may not see a private server.
    expect(await proxyRouteFor(deps, {}, { ...admin, groups: [] }, "alpha")).toBeNull();
    expect(await proxyRouteFor(deps, {}, stranger, "alpha")).toBeNull();
    expect(reads.servers).toBe(3);
    forgetProxyRoutes(deps);
  });

  it("applies the usable-server rule: another tenant's, disabled or reserved servers have no route", async () => {
    const servers = [
      sampleServer({ path: "foreign", tenant: "tenant-b" }),
      sampleServer({ path: "off", enabled: false }),
      sampleServer({ path: "broadcast" }),
    ];
    const { deps } = sources(servers);
    for (const path of ["foreign", "off", "broadcast", "missing"])
      expect(await proxyRouteFor(deps, {}, admin, path)).toBeNull();
    forgetProxyRoutes(deps);
  });

  it("keeps per-user egress secrets out of the entry (resolved per request)", async () => {
    const shared = sampleServer({ path: "shared", egress: null });
    const perUser = sampleServer({
      path: "per-user",
      egress: {
        type: "oauth",
        provider: { authorizeUrl: "https://idp.test/a", tokenUrl: "https://idp.test/t", clientId: "c" },
      } as ServerRecord["egress"],
    });
    const { deps } = sources([shared, perUser]);
    const env = { UPSTREAM_SECRET: "s3cret" };
    expect((await proxyRouteFor(deps, env, admin, "shared"))?.secrets?.("UPSTREAM_SECRET")).toBe("s3cret");
    expect((await proxyRouteFor(deps, env, admin, "per-user"))?.secrets).toBeNull();
    forgetProxyRoutes(deps);
  });

  it("is bounded: the oldest entries go first", async () => {
    const { deps } = sources([]);
    for (let i = 0; i <= MAX_ROUTES + 10; i++) await proxyRouteFor(deps, {}, admin, `p${i}`);
    expect(cachedProxyRoutes(deps)).toBe(MAX_ROUTES);
    forgetProxyRoutes(deps);
  });

  it("builds a missing route once for concurrent requests: the others wait for it on their own timers", async () => {
    const server = sampleServer({ path: "alpha" });
    const { deps, reads } = sources([server]);
    const slow: RouteSources = {
      ...deps,
      directory: {
        byPathEntry: async (path) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          return deps.directory.byPathEntry(path);
        },
      },
    };
    const routes = await Promise.all(
      Array.from({ length: 8 }, () => proxyRouteFor(slow, {}, { ...admin }, "alpha")),
    );
    expect(reads).toEqual({ servers: 1, policies: 1, pins: 1 });
    expect(new Set(routes).size).toBe(1);
    expect(routes[0]?.server).toEqual(server);
    forgetProxyRoutes(deps);
  });

  it("builds the route itself when the build it waited for fails", async () => {
    const server = sampleServer({ path: "alpha" });
    const { deps, reads } = sources([server]);
    let failures = 1;
    const flaky: RouteSources = {
      ...deps,
      directory: {
        byPathEntry: async (path) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (failures-- > 0) throw new Error("D1 unavailable");
          return deps.directory.byPathEntry(path);
        },
      },
    };
    const [first, second] = await Promise.allSettled([
      proxyRouteFor(flaky, {}, admin, "alpha"),
      proxyRouteFor(flaky, {}, { ...admin }, "alpha"),
    ]);
    expect(first.status).toBe("rejected");
    expect(second.status === "fulfilled" && second.value?.server).toEqual(server);
    expect(reads.servers).toBe(1);
    forgetProxyRoutes(deps);
  });
});
