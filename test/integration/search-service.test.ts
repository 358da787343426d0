// The search service and its index maintenance inside workerd, on real D1
// (FTS5): ranking sanity, query syntax safety, filters, the permission
// predicate, deletion and disabling, reindex, and the hybrid mode with a
// lagging vector index (Vectorize fake) and a failing embedder.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { Fts5KeywordIndex } from "../../worker/search/fts5-keyword-index.ts";
import { DEFAULT_RANKING } from "../../worker/search/ranking.ts";
import { SearchIndexer } from "../../worker/search/search-indexer.ts";
import {
  type SearchPermission,
  type SearchRequest,
  SearchService,
  type VectorSearch,
} from "../../worker/search/search-service.ts";
import { VectorizeVectorIndex } from "../../worker/search/vectorize-vector-index.ts";
import { WorkersAiEmbedder } from "../../worker/search/workers-ai-embedder.ts";
import { D1RegistryStore } from "../../worker/store/d1/d1-registry-store.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { FakeVectorize } from "../support/fake-vectorize.ts";
import { FakeWorkersAi } from "../support/fake-workers-ai.ts";
import { HASH_EMBEDDING_DIMENSIONS } from "../support/hash-embedding.ts";
import { type CatalogName, fixtureServer, toolEntry } from "../support/search-fixtures.ts";

const store = new D1RegistryStore(env.DB);
const keyword = new Fts5KeywordIndex(env.DB);
const everyone: SearchPermission = () => true;

function setup(vectors: VectorSearch | null = null) {
  const indexer = new SearchIndexer({ store, keyword, vectors, settings: DEFAULT_RANKING });
  const service = new SearchService({ keyword, vectors, settings: DEFAULT_RANKING });
  return { indexer, service };
}

let tenant: string;
beforeEach(() => {
  tenant = `tenant-${crypto.randomUUID()}`;
});

async function register(indexer: SearchIndexer, name: CatalogName, overrides: Partial<ServerRecord> = {}) {
  const { server, catalog } = fixtureServer(name, { tenant, ...overrides });
  await store.insertServer(server, catalog);
  await indexer.serverSaved(server, catalog);
  return { server, catalog };
}

async function registerAll(indexer: SearchIndexer) {
  const servers: Record<string, ServerRecord> = {};
  for (const name of ["weather", "files", "docs", "github"] as const) {
    servers[name] = (await register(indexer, name)).server;
  }
  return servers;
}

function request(service: SearchService, query: string, extra: Partial<SearchRequest> = {}) {
  return service.search({ tenant, query, limit: 10, allow: everyone, types: ["tool"], ...extra });
}

async function toolNames(service: SearchService, query: string, extra: Partial<SearchRequest> = {}) {
  return (await request(service, query, extra)).results.map((result) => result.name);
}

describe("keyword search", () => {
  it("ranks the tool a plain-words request needs first, and says it is keyword search", async () => {
    const { indexer, service } = setup();
    await registerAll(indexer);
    expect((await toolNames(service, "convert a Word document to PDF"))[0]).toBe("convertToPdf");
    expect((await toolNames(service, "what's the weather forecast in Paris tomorrow?"))[0]).toBe(
      "get_forecast",
    );
    expect((await toolNames(service, "find repositories about vector search"))[0]).toBe(
      "search-repositories",
    );
    expect((await toolNames(service, "save the summary to /root/out/report.md")).slice(0, 3)).toContain(
      "write_file",
    );
    const outcome = await request(service, "weather forecast");
    expect(outcome.mode).toBe("keyword");
    expect(outcome.terms).toEqual(["weather", "forecast"]);
    const best = outcome.results[0];
    expect(best).toMatchObject({ kind: "tool", name: "get_forecast", matchedBy: ["keyword"] });
    expect(best?.matchedFields).toEqual(expect.arrayContaining(["name", "description"]));
    expect(best?.inputSchema).toMatchObject({ type: "object" });
    expect(best?.score).toBeGreaterThan(0);
  });

  it("treats FTS syntax in queries as plain words", async () => {
    const { indexer, service } = setup();
    await registerAll(indexer);
    const queries = [
      '"weather',
      "weather*",
      "NEAR(weather forecast)",
      "weather AND forecast",
      "weather OR",
      "-forecast",
      "f_name:forecast",
      "(weather",
      "weather) OR (",
      "^forecast",
      "forecast NOT weather",
      "{f_name}: forecast",
      "weather + forecast \u0000 \u202e",
    ];
    for (const query of queries) {
      const names = await toolNames(service, query);
      expect(names[0], query).toBe("get_forecast");
    }
  });

  it("returns nothing (and does not fail) when nothing searchable is left", async () => {
    const { indexer, service } = setup();
    await registerAll(indexer);
    for (const query of ["the and of", "***", "() - :", "a"]) {
      const outcome = await request(service, query);
      expect(outcome.results).toEqual([]);
      expect(outcome.terms).toEqual([]);
    }
  });

  it("filters by type, tag and server", async () => {
    const { indexer, service } = setup();
    const servers = await registerAll(indexer);
    const servers_ = await request(service, "weather alerts", { types: ["server"] });
    expect(servers_.results.map((result) => [result.kind, result.name])).toEqual([
      ["server", "Weather Service"],
    ]);
    const both = await request(service, "weather", { types: ["tool", "server"] });
    expect(new Set(both.results.map((result) => result.kind))).toEqual(new Set(["tool", "server"]));
    expect(await toolNames(service, "file", { tag: "office" })).toEqual(
      expect.not.arrayContaining(["read_file", "write_file"]),
    );
    expect(await toolNames(service, "create new", { server: servers.docs?.path })).toEqual(
      expect.arrayContaining(["create_document"]),
    );
    expect(
      (await toolNames(service, "create new", { server: servers.docs?.path })).every((name) =>
        ["create_document", "convertToPdf"].includes(name),
      ),
    ).toBe(true);
    expect(await toolNames(service, "weather", { server: "no-such-server" })).toEqual([]);
  });
});

describe("permissions", () => {
  it("never shows a hidden tool, even when it is the best match", async () => {
    const { indexer, service } = setup();
    await registerAll(indexer);
    const hidePdf: SearchPermission = (hit) => hit.name !== "convertToPdf";
    const names = await toolNames(service, "convert a word document to pdf", { allow: hidePdf, limit: 50 });
    expect(names).not.toContain("convertToPdf");
    expect(names[0]).toBe("create_document");
  });

  it("hides whole servers, for servers and their tools alike", async () => {
    const { indexer, service } = setup();
    const servers = await registerAll(indexer);
    const noWeather: SearchPermission = (hit) => hit.serverId !== servers.weather?.id;
    const outcome = await request(service, "weather forecast alerts", {
      allow: noWeather,
      types: ["tool", "server"],
      limit: 50,
    });
    expect(outcome.results.some((result) => result.serverId === servers.weather?.id)).toBe(false);
  });

  it("filters before the ranking is cut: the one visible tool is found far down the list", async () => {
    const { indexer, service } = setup();
    const tools = Array.from({ length: 300 }, (_, i) => ({
      name: `report_tool_${i}`,
      description: `Generate report number ${i} about sales`,
    }));
    const { server, catalog } = fixtureServer("files", { tenant });
    const manyCatalog = tools.map(toolEntry);
    await store.insertServer(server, manyCatalog);
    await indexer.serverSaved(server, manyCatalog);
    expect(catalog).toHaveLength(3);
    const onlyLast: SearchPermission = (hit) => hit.name === "report_tool_299";
    const names = await toolNames(service, "generate sales report", { allow: onlyLast });
    expect(names).toEqual(["report_tool_299"]);
  });
});

describe("index maintenance", () => {
  it("drops a deleted server's tools and hides a disabled server's until it is enabled again", async () => {
    const { indexer, service } = setup();
    const servers = await registerAll(indexer);
    const weather = servers.weather as ServerRecord;

    await store.updateServer({ ...weather, enabled: false });
    await indexer.serverSaved({ ...weather, enabled: false });
    expect(await toolNames(service, "weather forecast", { types: ["tool", "server"] })).toEqual([]);

    await store.updateServer(weather);
    await indexer.serverSaved(weather);
    expect((await toolNames(service, "weather forecast"))[0]).toBe("get_forecast");

    await store.deleteServer(tenant, weather.id);
    await indexer.serverDeleted(tenant, weather.id);
    expect(await toolNames(service, "weather forecast", { types: ["tool", "server"] })).toEqual([]);
  });

  it("follows catalog changes: a removed tool disappears, a renamed one is found by its new name", async () => {
    const { indexer, service } = setup();
    const { server } = await register(indexer, "weather");
    const changed = [toolEntry({ name: "get_weather_now", description: "Current weather conditions." })];
    await store.updateServer(server, changed);
    await indexer.serverSaved(server, changed);
    const names = await toolNames(service, "weather forecast alerts");
    expect(names).toEqual(["get_weather_now"]);
  });

  it("reindex is idempotent and removes documents of servers that no longer exist", async () => {
    const { indexer, service } = setup();
    await registerAll(indexer);
    // A server the index knows but the registry does not (a missed deletion).
    const orphan = fixtureServer("weather", { tenant, name: "Orphan Weather" });
    await indexer.serverSaved(orphan.server, orphan.catalog);
    const before = await toolNames(service, "create new document file");

    const first = await indexer.reindex(tenant);
    expect(first).toMatchObject({ servers: 4, removedServers: 1, documents: 13 });
    const afterFirst = await toolNames(service, "weather forecast create new document file");
    const second = await indexer.reindex(tenant);
    expect(second).toMatchObject({ servers: 4, removedServers: 0, documents: 13 });
    expect(await toolNames(service, "weather forecast create new document file")).toEqual(afterFirst);
    expect(await toolNames(service, "create new document file")).toEqual(before);
    expect(await keyword.serverIds(tenant)).toHaveLength(4);
  });
});

describe("hybrid search", () => {
  function hybrid() {
    const vectorize = new FakeVectorize(HASH_EMBEDDING_DIMENSIONS);
    const ai = new FakeWorkersAi();
    const vectors: VectorSearch = {
      embedder: new WorkersAiEmbedder(ai),
      index: new VectorizeVectorIndex(vectorize),
    };
    return { ...setup(vectors), vectorize, ai };
  }

  it("fuses keyword and vector rankings", async () => {
    const { indexer, service, vectorize } = hybrid();
    await registerAll(indexer);
    vectorize.applyPending();
    const outcome = await request(service, "weather forecast for a city");
    expect(outcome.mode).toBe("hybrid");
    expect(outcome.results[0]).toMatchObject({ name: "get_forecast" });
    expect(outcome.results[0]?.matchedBy).toEqual(["keyword", "vector"]);
  });

  it("never returns a deleted or disabled tool that the lagging vector index still holds", async () => {
    const { indexer, service, vectorize } = hybrid();
    const servers = await registerAll(indexer);
    vectorize.applyPending();
    const weather = servers.weather as ServerRecord;
    const docs = servers.docs as ServerRecord;

    await store.deleteServer(tenant, weather.id);
    await indexer.serverDeleted(tenant, weather.id);
    await store.updateServer({ ...docs, enabled: false });
    await indexer.serverSaved({ ...docs, enabled: false });
    expect(vectorize.pendingCount).toBeGreaterThan(0);

    const outcome = await request(service, "weather forecast convert word document pdf", {
      types: ["tool", "server"],
      limit: 50,
    });
    const serverIds = new Set(outcome.results.map((result) => result.serverId));
    expect(serverIds.has(weather.id)).toBe(false);
    expect(serverIds.has(docs.id)).toBe(false);
  });

  it("embeds only documents whose text changed", async () => {
    const { indexer, ai } = hybrid();
    const { server, catalog } = await register(indexer, "files");
    const embedded = ai.calls.flatMap((call) => call.inputs.text as string[]).length;
    expect(embedded).toBe(4);
    await indexer.serverSaved({ ...server, enabled: false }, catalog);
    expect(ai.calls.flatMap((call) => call.inputs.text as string[]).length).toBe(4);
  });

  it("falls back to keyword results, and says so, when the embedder fails", async () => {
    const { indexer, service, ai } = hybrid();
    await registerAll(indexer);
    ai.failNext = "daily-limit";
    const outcome = await request(service, "weather forecast");
    expect(outcome.mode).toBe("keyword");
    expect(outcome.notice).toMatch(/keyword results only/);
    expect(outcome.results[0]?.name).toBe("get_forecast");
  });
});
