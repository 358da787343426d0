// 2026-07-28 caching (worker/aggregated/result-cache.ts) inside workerd with
// a real upstream on loopback that speaks 2026-07-28, puts `ttlMs` and
// `cacheScope` on its resources/read results and counts every read it serves
// (test/support/cache-hints-upstream.ts): a cacheable read is answered from
// the cache for as long as `ttlMs` allows, shared across callers only when
// the upstream said "public", never when `ttlMs` is 0, and retired by a
// catalog refresh. Real clients: the SDK v2 client (2026-07-28) and the
// 1.x client (session) through a virtual server, and the v2 client on /mcp.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, devAdminToken, uniquePath } from "../support/api.ts";
import { grantScope, legacyClient, modernClient, readResource2026 } from "../support/gateway-clients.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const READER_GROUP = "cache-reader";
const PUBLIC = "probe://cached/public";
const PRIVATE = "probe://cached/private";
const UNCACHED = "probe://uncached";

let adminToken: string;
let readerToken: string;
let serverId = "";
let path = "";
let name = "";

async function reads(uri: string): Promise<number> {
  const stats = (await (await fetch(`${upstreams.probeUrl}/cache/stats`)).json()) as {
    reads: Record<string, number>;
  };
  return stats.reads[uri] ?? 0;
}

/** The text and the caching hints of one read, as the raw 2026-07-28 wire carries them. */
function readRaw(endpoint: string, uri: string, token = adminToken) {
  return readResource2026(endpoint, uri, token);
}

beforeAll(async () => {
  adminToken = await devAdminToken();
  path = uniquePath("cache");
  name = uniquePath("vcache");
  const registered = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: `${upstreams.probeUrl}/cache/mcp` }] },
  });
  expect(registered.status, await registered.clone().text()).toBe(201);
  const server = (await registered.json()) as { id: string; catalog: { counts: { resources: number } } };
  expect(server.catalog.counts.resources).toBe(3);
  serverId = server.id;
  const created = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: { name, resources: [PUBLIC, PRIVATE, UNCACHED].map((uri) => ({ server: path, uri })) },
  });
  expect(created.status, await created.clone().text()).toBe(201);

  // A second identity that may read the server's resources (and nothing else).
  await grantScope(READER_GROUP, "cache-reader", [{ server: path, methods: ["resources/read"] }]);
  readerToken = tokenFor(principal({ tenant: "default", groups: [READER_GROUP] }));
});

describe("2026-07-28 result caching through a virtual server", () => {
  it("serves a public result from the cache within ttlMs, to every caller", async () => {
    const endpoint = `/v/${name}/mcp`;
    const before = await reads(PUBLIC);
    const first = await readRaw(endpoint, PUBLIC);
    const second = await readRaw(endpoint, PUBLIC);
    const other = await readRaw(endpoint, PUBLIC, readerToken);
    expect(await reads(PUBLIC)).toBe(before + 1);
    expect(second.text).toBe(first.text);
    expect(other.text).toBe(first.text);
    // The caller may cache too, never longer than what is left of the upstream's ttlMs.
    expect(first).toMatchObject({ cacheScope: "public" });
    expect(second.ttlMs).toBeGreaterThan(0);
    expect(second.ttlMs).toBeLessThanOrEqual(60_000);

    // A 2026-07-28 SDK client and a session-based 1.x client get the cached answer as well.
    const client = await modernClient(endpoint, adminToken, "cache-test-v2");
    const read = await client.readResource({ uri: PUBLIC });
    expect(read.contents[0]).toMatchObject({ text: first.text });
    await client.close();
    const { client: legacy, transport } = await legacyClient(endpoint, adminToken, "cache-test-v1");
    expect((await legacy.readResource({ uri: PUBLIC })).contents[0]).toMatchObject({ text: first.text });
    await transport.terminateSession();
    await legacy.close();
    expect(await reads(PUBLIC)).toBe(before + 1);
  });

  it("never shares a private result across identities", async () => {
    const endpoint = `/v/${name}/mcp`;
    const before = await reads(PRIVATE);
    const mine = await readRaw(endpoint, PRIVATE);
    const again = await readRaw(endpoint, PRIVATE);
    expect(again.text).toBe(mine.text);
    expect(await reads(PRIVATE)).toBe(before + 1);
    const theirs = await readRaw(endpoint, PRIVATE, readerToken);
    expect(theirs.text).not.toBe(mine.text);
    expect(await reads(PRIVATE)).toBe(before + 2);
    expect(theirs.cacheScope).toBe("private");
  });

  it("never caches a result with ttlMs 0", async () => {
    const endpoint = `/v/${name}/mcp`;
    const before = await reads(UNCACHED);
    await readRaw(endpoint, UNCACHED);
    await readRaw(endpoint, UNCACHED);
    expect(await reads(UNCACHED)).toBe(before + 2);
  });

  it("is retired by a catalog refresh", async () => {
    const endpoint = `/v/${name}/mcp`;
    await readRaw(endpoint, PUBLIC);
    const before = await reads(PUBLIC);
    await readRaw(endpoint, PUBLIC);
    expect(await reads(PUBLIC)).toBe(before);
    const refreshed = await api(`/api/v1/servers/${serverId}/refresh`, { method: "POST" });
    expect(refreshed.status, await refreshed.clone().text()).toBe(200);
    // Seen by this isolate as soon as its server lookup (at most SERVER_LOOKUP_TTL_MS old) is.
    await expect
      .poll(
        async () => {
          await readRaw(endpoint, PUBLIC);
          return reads(PUBLIC);
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThan(before);
  });

  it("holds on /mcp too, behind the caller's own grants", async () => {
    const client = await modernClient("/mcp", adminToken, "cache-test-v2");
    const { resources } = await client.listResources();
    const wrapped = resources.find((resource) => resource.uri.endsWith(PUBLIC))?.uri ?? "";
    expect(wrapped).not.toBe("");
    const before = await reads(PUBLIC);
    const first = await client.readResource({ uri: wrapped });
    const second = await client.readResource({ uri: wrapped });
    expect(second.contents[0]).toMatchObject({ text: (first.contents[0] as { text: string }).text });
    expect(await reads(PUBLIC)).toBeLessThanOrEqual(before + 1);
    await client.close();
    // A caller without the grant gets a refusal, not the cached result.
    const stranger = tokenFor(principal({ tenant: "default", groups: ["nobody"] }));
    const refused = await readRaw(`/v/${name}/mcp`, PUBLIC, stranger);
    expect(refused.text).toBe("");
  });
});
