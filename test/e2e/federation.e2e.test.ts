// Federation end to end: two real gateways under `wrangler dev` on loopback
// (B imports from A over HTTP through A's /v0.1 API, and A from B), real
// server-everything behind A's servers, and a loopback registry serving
// pages shaped like the official registry's. Every /v0.1 answer is checked
// against the pinned openapi.yaml components and server.schema.json.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort, type RunningProcess } from "../../scripts/processes.ts";
import {
  OFFICIAL_ENTRIES,
  type OfficialRegistry,
  startOfficialRegistry,
} from "../support/official-registry.ts";
import { registryErrors } from "../support/registry-schemas.ts";
import { startEverything } from "../support/upstreams.ts";

const NS_A = "test.gateway-a";
const NS_B = "test.gateway-b";

interface Gateway {
  gateway: LocalGateway;
  token: string;
  dir: string;
}

interface ServerBody {
  id: string;
  path: string;
  name: string;
  description: string;
  enabled: boolean;
  lifecycle: string;
  source: string;
  registryName: string | null;
  catalog: { status: string };
  provenance: {
    sourceName: string;
    upstreamName: string;
    upstreamVersion: string;
    lastSyncedAt: string;
  } | null;
}

interface SourceBody {
  id: string;
  lastSync: {
    status: string;
    counts: Record<string, number>;
    entries: { name: string; outcome: string; reason: string | null }[];
  };
}

let a: Gateway;
let b: Gateway;
let everything: { url: string; proc: RunningProcess };
let official: OfficialRegistry;

async function startGateway(namespace: string, extraSecrets: Record<string, string> = {}): Promise<Gateway> {
  const secrets = newDevSecrets();
  const dir = await mkdtemp(join(tmpdir(), "mcp-gateway-federation-"));
  const port = await freePort();
  const gateway = await startLocalGateway({
    port,
    persistDir: dir,
    secrets: { ...secrets, ...extraSecrets },
    // Remotes in /v0.1 point at PUBLIC_URL: here, where the gateway really listens.
    vars: {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      REGISTRY_NAMESPACE: namespace,
      REGISTRY_API_PUBLIC: "true",
    },
  });
  const token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
  return { gateway, token, dir };
}

async function call(
  gw: Gateway,
  path: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<Response> {
  const { json, ...rest } = init;
  return fetch(`${gw.gateway.url}${path}`, {
    ...rest,
    headers: { authorization: `Bearer ${gw.token}`, "content-type": "application/json" },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
}

async function ok<T>(response: Response, status = 200): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as T;
}

async function servers(gw: Gateway): Promise<ServerBody[]> {
  return (await ok<{ items: ServerBody[] }>(await call(gw, "/api/v1/servers?limit=100"))).items;
}

async function sync(gw: Gateway, sourceId: string): Promise<SourceBody> {
  return ok<SourceBody>(await call(gw, `/api/v1/federation/sources/${sourceId}/sync`, { method: "POST" }));
}

async function registryList(
  gw: Gateway,
  query = "",
): Promise<{
  servers: {
    server: { name: string; version: string; description: string };
    _meta: Record<string, Record<string, unknown>>;
  }[];
}> {
  const body = await ok<{ servers: never[] }>(
    await fetch(`${gw.gateway.url}/v0.1/servers?limit=100${query}`),
  );
  expect(registryErrors("ServerList", body)).toEqual([]);
  return body;
}

beforeAll(async () => {
  everything = await startEverything("streamableHttp");
  a = await startGateway(NS_A);
  // B reads A with A's token (the source's auth secret), also for the imported servers' endpoints.
  b = await startGateway(NS_B, { GATEWAY_A_TOKEN: a.token });
  official = await startOfficialRegistry(everything.url);
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([a?.gateway.stop(), b?.gateway.stop(), everything?.proc.stop()]);
  await official?.close();
  await Promise.allSettled([a, b].filter(Boolean).map((gw) => rm(gw.dir, { recursive: true, force: true })));
});

describe("federation between two gateways", () => {
  let sourceOfA: string;

  it("B imports A's servers with provenance, reading their catalogs through A", async () => {
    await ok(
      await call(a, "/api/v1/servers", {
        method: "POST",
        json: {
          name: "Weather",
          path: "weather",
          description: "Weather v1",
          version: "1.0.0",
          endpoints: [{ url: everything.url }],
        },
      }),
      201,
    );
    await ok(
      await call(a, "/api/v1/servers", {
        method: "POST",
        json: {
          name: "Docs",
          path: "docs",
          description: "Documentation",
          endpoints: [{ url: everything.url }],
        },
      }),
      201,
    );
    expect((await registryList(a)).servers.map((item) => item.server.name).sort()).toEqual([
      `${NS_A}/docs`,
      `${NS_A}/weather`,
    ]);

    const source = await ok<{ id: string }>(
      await call(b, "/api/v1/federation/sources", {
        method: "POST",
        json: { name: "Gateway A", url: a.gateway.url, auth: { secret: "GATEWAY_A_TOKEN" } },
      }),
      201,
    );
    sourceOfA = source.id;
    const report = await sync(b, source.id);
    expect(report.lastSync).toMatchObject({ status: "ok", counts: { seen: 2, imported: 2, skipped: 0 } });

    const imported = await servers(b);
    const weather = imported.find((server) => server.registryName === `${NS_A}/weather`);
    expect(weather).toMatchObject({
      source: "federated",
      description: "Weather v1",
      provenance: { sourceName: "Gateway A", upstreamName: `${NS_A}/weather`, upstreamVersion: "1.0.0" },
    });
    // Its endpoint is A's gateway endpoint; the catalog came through A with the source's token.
    expect(weather?.catalog.status).toBe("ok");

    const listed = await registryList(b);
    const entry = listed.servers.find((item) => item.server.name === `${NS_A}/weather`);
    expect(entry?._meta["io.github.mcp-gateway/provenance"]).toMatchObject({ origin: NS_A, local: false });
  });

  it("keeps imported servers read-only on B", async () => {
    const weather = (await servers(b)).find((server) => server.registryName === `${NS_A}/weather`);
    const response = await call(b, `/api/v1/servers/${weather?.id}`, {
      method: "PATCH",
      json: { description: "edited on B" },
    });
    expect(response.status).toBe(422);
  });

  it("shows a description changed on A on B after a sync; the old version stays listed", async () => {
    const weatherOnA = (await servers(a)).find((server) => server.path === "weather");
    await ok(
      await call(a, `/api/v1/servers/${weatherOnA?.id}`, {
        method: "PATCH",
        json: { description: "Weather v2", version: "1.1.0" },
      }),
    );
    const report = await sync(b, sourceOfA);
    expect(report.lastSync.counts).toMatchObject({ updated: 1, unchanged: 1 });
    const weather = (await servers(b)).find((server) => server.registryName === `${NS_A}/weather`);
    expect(weather).toMatchObject({ description: "Weather v2", provenance: { upstreamVersion: "1.1.0" } });

    const versions = await ok<{ servers: { server: { version: string; description: string } }[] }>(
      await fetch(`${b.gateway.url}/v0.1/servers/${encodeURIComponent(`${NS_A}/weather`)}/versions`),
    );
    expect(registryErrors("ServerList", versions)).toEqual([]);
    expect(versions.servers.map((item) => [item.server.version, item.server.description])).toEqual([
      ["1.1.0", "Weather v2"],
      ["1.0.0", "Weather v1"],
    ]);
  });

  it("marks a server deleted on A as deleted (kept, disabled) on B", async () => {
    const docsOnA = (await servers(a)).find((server) => server.path === "docs");
    expect((await call(a, `/api/v1/servers/${docsOnA?.id}`, { method: "DELETE" })).status).toBe(204);
    const report = await sync(b, sourceOfA);
    expect(report.lastSync.counts).toMatchObject({ deleted: 1 });
    const docs = (await servers(b)).find((server) => server.registryName === `${NS_A}/docs`);
    expect(docs).toMatchObject({ lifecycle: "deleted", enabled: false });
    const withDeleted = await registryList(b, "&include_deleted=true");
    const entry = withDeleted.servers.find((item) => item.server.name === `${NS_A}/docs`);
    expect(entry?._meta["io.modelcontextprotocol.registry/official"]?.status).toBe("deleted");
    expect((await registryList(b)).servers.map((item) => item.server.name)).not.toContain(`${NS_A}/docs`);
  });

  it("federating in a loop (A from B and B from A) duplicates nothing", async () => {
    await ok(
      await call(b, "/api/v1/servers", {
        method: "POST",
        json: { name: "B local", path: "b-local", endpoints: [{ url: everything.url }] },
      }),
      201,
    );
    const sourceOfB = await ok<{ id: string }>(
      await call(a, "/api/v1/federation/sources", {
        method: "POST",
        json: { name: "Gateway B", url: b.gateway.url },
      }),
      201,
    );
    const first = await sync(a, sourceOfB.id);
    expect(first.lastSync.counts).toMatchObject({ imported: 1 });
    const loopSkip = first.lastSync.entries.find((entry) => entry.name === `${NS_A}/weather`);
    expect(loopSkip).toMatchObject({ outcome: "skipped" });
    expect(loopSkip?.reason).toMatch(/federation loop/);

    // Around the loop twice more: nothing new anywhere.
    for (let round = 0; round < 2; round += 1) {
      const fromA = await sync(b, sourceOfA);
      expect(fromA.lastSync.counts.imported).toBe(0);
      const fromB = await sync(a, sourceOfB.id);
      expect(fromB.lastSync.counts.imported).toBe(0);
    }
    const namesOnA = (await servers(a)).map((server) => server.registryName ?? server.path).sort();
    const namesOnB = (await servers(b)).map((server) => server.registryName ?? server.path).sort();
    expect(namesOnA).toEqual([`${NS_B}/b-local`, "weather"].sort());
    expect(namesOnB).toEqual(["b-local", `${NS_A}/docs`, `${NS_A}/weather`].sort());
    expect(new Set(namesOnA).size).toBe(namesOnA.length);
    expect(new Set(namesOnB).size).toBe(namesOnB.length);
  });
});

describe("federation from an official-registry-shaped source", () => {
  it("imports the valid entries across pages and skips the others with a reason each", async () => {
    const source = await ok<{ id: string }>(
      await call(b, "/api/v1/federation/sources", {
        method: "POST",
        json: { name: "Official", url: official.url },
      }),
      201,
    );
    const report = await sync(b, source.id);
    expect(report.lastSync).toMatchObject({
      status: "partial",
      counts: { seen: 4, imported: 2, skipped: 2 },
    });
    const byName = new Map(report.lastSync.entries.map((entry) => [entry.name, entry]));
    for (const name of OFFICIAL_ENTRIES.imported) expect(byName.get(name)?.outcome).toBe("imported");
    expect(byName.get(OFFICIAL_ENTRIES.packagesOnly)).toMatchObject({ outcome: "skipped" });
    expect(byName.get(OFFICIAL_ENTRIES.packagesOnly)?.reason).toMatch(/remotes: .*only packages/);
    expect(byName.get(OFFICIAL_ENTRIES.invalid)).toMatchObject({ outcome: "skipped" });
    expect(byName.get(OFFICIAL_ENTRIES.invalid)?.reason).toMatch(/^description: /);

    const imported = (await servers(b)).filter((server) => server.provenance?.sourceName === "Official");
    expect(imported.map((server) => server.registryName).sort()).toEqual([...OFFICIAL_ENTRIES.imported]);
    expect(imported.every((server) => server.catalog.status === "ok")).toBe(true);
  });
});
