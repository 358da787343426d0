// The per-(caller, server path) call route of the aggregated endpoint
// (aggregated/call-route.ts, on the route cache of edge/caller-routes.ts): a
// hit asks no service; an entry never outlives the earliest expiry of the
// policy, server, catalog and approvals it was built from; a local write
// (the route epoch) voids every entry at once; a change of the caller's
// groups or scopes is another entry; the usable-server rule, visibility and
// a readable catalog decide whether there is a target; the policy is there
// even without one (it is decided first); the cache is bounded.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type CallRouteSources,
  callRouteFor,
  forgetCallRoutes,
  MAX_CALL_ROUTES,
} from "../../worker/aggregated/call-route.ts";
import { RouteEpoch } from "../../worker/registry/route-epoch.ts";
import { pinSet } from "../../worker/security/pinning.ts";
import type { CatalogEntry, ServerRecord } from "../../worker/store/registry-store.ts";
import { sampleServer } from "../contract/registry-store.contract.ts";
import { defaultPolicy, routeAdmin, routeStranger } from "../support/route-fixtures.ts";

const policy = defaultPolicy;
const admin = routeAdmin;
const stranger = routeStranger;

function tool(key: string): CatalogEntry {
  return { kind: "tool", key, definition: { name: key }, fingerprint: `fp-${key}` };
}

interface Expiries {
  server?: () => number;
  catalog?: () => number;
  pins?: () => number;
}

function sources(servers: ServerRecord[], expiries: Expiries = {}) {
  const reads = { servers: 0, policies: 0, catalogs: 0, pins: 0 };
  const later = () => Date.now() + 60_000;
  const routeEpoch = new RouteEpoch();
  const deps: CallRouteSources = {
    routeEpoch,
    directory: {
      byPathEntry: async (path) => {
        reads.servers += 1;
        return {
          server: servers.find((server) => server.path === path) ?? null,
          until: (expiries.server ?? later)(),
        };
      },
      catalogEntry: async () => {
        reads.catalogs += 1;
        return { entries: [tool("echo"), tool("add")], until: (expiries.catalog ?? later)() };
      },
    },
    access: {
      policyEntry: async () => {
        reads.policies += 1;
        return { policy, until: later() };
      },
    },
    approvals: {
      pinsEntry: async () => {
        reads.pins += 1;
        return { pins: pinSet([], "auto", "refuse"), until: (expiries.pins ?? later)() };
      },
    },
  };
  return { deps, reads, routeEpoch };
}

afterEach(() => vi.useRealTimers());

describe("callRouteFor", () => {
  it("builds a route once and answers later calls without asking any service", async () => {
    const server = sampleServer({ path: "alpha" });
    const { deps, reads } = sources([server]);
    const first = await callRouteFor(deps, admin, "alpha");
    expect(first.target?.server).toEqual(server);
    expect([...(first.target?.tools ?? [])]).toEqual(["echo", "add"]);
    expect(first.guard.decide("tools/call", "echo").allow).toBe(true);
    for (let i = 0; i < 5; i++) expect(await callRouteFor(deps, { ...admin }, "alpha")).toBe(first);
    expect(reads).toEqual({ servers: 1, policies: 1, catalogs: 1, pins: 1 });
    forgetCallRoutes(deps);
  });

  it("rebuilds when the route epoch moves (a write in this isolate)", async () => {
    const server = sampleServer({ path: "alpha" });
    const { deps, reads, routeEpoch } = sources([server]);
    await callRouteFor(deps, admin, "alpha");
    await routeEpoch.serverSaved(server);
    await callRouteFor(deps, admin, "alpha");
    routeEpoch.changed();
    await callRouteFor(deps, admin, "alpha");
    expect(reads).toEqual({ servers: 3, policies: 3, catalogs: 3, pins: 3 });
    forgetCallRoutes(deps);
  });

  for (const source of ["server", "catalog", "pins"] as const) {
    it(`never keeps an entry past the ${source}'s expiry`, async () => {
      vi.useFakeTimers({ now: 1_000_000 });
      const server = sampleServer({ path: "alpha" });
      const { deps, reads } = sources([server], { [source]: () => Date.now() + 2_000 });
      await callRouteFor(deps, admin, "alpha");
      vi.setSystemTime(1_001_999);
      await callRouteFor(deps, admin, "alpha");
      expect(reads.servers).toBe(1);
      vi.setSystemTime(1_002_000);
      await callRouteFor(deps, admin, "alpha");
      expect(reads.servers).toBe(2);
      forgetCallRoutes(deps);
    });
  }

  it("keys on the caller's identity, groups and scopes", async () => {
    const server = sampleServer({ path: "alpha", visibility: "private", owner: "someone-else" });
    const { deps, reads } = sources([server]);
    expect((await callRouteFor(deps, admin, "alpha")).target).not.toBeNull();
    // Same subject without the admin group: another entry, and it may not see a private server.
    expect((await callRouteFor(deps, { ...admin, groups: [] }, "alpha")).target).toBeNull();
    expect((await callRouteFor(deps, stranger, "alpha")).target).toBeNull();
    expect(reads.servers).toBe(3);
    forgetCallRoutes(deps);
  });

  it("has no target for another tenant's, disabled, reserved, missing or unreadable servers, but a policy", async () => {
    const broken = sampleServer({ path: "broken" });
    broken.catalog = { ...broken.catalog, status: "unreachable" };
    const servers = [
      sampleServer({ path: "foreign", tenant: "tenant-b" }),
      sampleServer({ path: "off", enabled: false }),
      sampleServer({ path: "broadcast" }),
      broken,
    ];
    const { deps, reads } = sources(servers);
    for (const path of ["foreign", "off", "broadcast", "missing", "broken"]) {
      const route = await callRouteFor(deps, admin, path);
      expect(route.target).toBeNull();
      // The decision comes first (and is audited) whether or not the server is there.
      expect(route.guard.decide("tools/call", "echo").allow).toBe(true);
    }
    // Neither the catalog nor the approvals of a server without a target are read.
    expect(reads.catalogs).toBe(0);
    expect(reads.pins).toBe(0);
    const refused = await callRouteFor(deps, stranger, "missing");
    expect(refused.guard.decide("tools/call", "echo").allow).toBe(false);
    forgetCallRoutes(deps);
  });

  it("is bounded: the oldest entries go first", async () => {
    const { deps, reads } = sources([]);
    for (let i = 0; i <= MAX_CALL_ROUTES + 10; i++) await callRouteFor(deps, admin, `p${i}`);
    const before = reads.servers;
    // The newest is still cached, the oldest is not.
    await callRouteFor(deps, admin, `p${MAX_CALL_ROUTES + 10}`);
    expect(reads.servers).toBe(before);
    await callRouteFor(deps, admin, "p0");
    expect(reads.servers).toBe(before + 1);
    forgetCallRoutes(deps);
  });
});
