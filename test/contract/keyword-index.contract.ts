// The behaviour every KeywordIndex adapter must have. Each adapter's test
// file calls `describeKeywordIndexContract` with a factory for an index over
// fresh storage; nothing here knows which backend it is talking to.
import { beforeEach, describe, expect, it } from "vitest";
import { queryTerms } from "../../worker/search/analysis.ts";
import { buildDocuments } from "../../worker/search/documents.ts";
import type { Blend, KeywordIndex, KeywordQuery, WeightedTerm } from "../../worker/search/ports.ts";
import { DEFAULT_RANKING } from "../../worker/search/ranking.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { type CatalogName, fixtureServer, type ToolSpec, toolEntry } from "../support/search-fixtures.ts";
import { sampleServer } from "./registry-store.contract.ts";

const terms = (text: string): WeightedTerm[] => queryTerms(text).map((term) => ({ term, weight: 1 }));

export function describeKeywordIndexContract(adapter: string, makeIndex: () => Promise<KeywordIndex>) {
  describe(`KeywordIndex contract: ${adapter}`, () => {
    let index: KeywordIndex;
    let tenant: string;

    beforeEach(async () => {
      index = await makeIndex();
      tenant = `tenant-${crypto.randomUUID()}`;
    });

    async function add(name: CatalogName, overrides: Partial<ServerRecord> = {}): Promise<ServerRecord> {
      const { server, catalog } = fixtureServer(name, { tenant, ...overrides });
      await index.replaceServer(tenant, server.id, await buildDocuments(server, catalog, DEFAULT_RANKING));
      return server;
    }

    async function names(query: Partial<KeywordQuery> & { text: string }): Promise<string[]> {
      const { text, ...rest } = query;
      const [hits] = await index.search([{ tenant, kind: "tool", terms: terms(text), limit: 20, ...rest }]);
      return (hits ?? []).map((hit) => hit.document.name);
    }

    it("finds tools by words of their name, description and parameters", async () => {
      await add("weather");
      await add("files");
      expect((await names({ text: "forecast" }))[0]).toBe("get_forecast");
      expect(await names({ text: "overwrite" })).toEqual(["write_file"]);
      expect(await names({ text: "state code" })).toContain("get_alerts");
    });

    it("splits camelCase, snake_case and kebab-case names, and stems words", async () => {
      await add("docs");
      await add("github");
      await add("files");
      expect((await names({ text: "convert pdf" }))[0]).toBe("convertToPdf");
      expect(await names({ text: "directory" })).toContain("listDirectory");
      expect((await names({ text: "repository searching" }))[0]).toBe("search-repositories");
      expect(await names({ text: "converted" })).toContain("convertToPdf");
    });

    it("ranks documents matching more and rarer terms first (OR of terms)", async () => {
      await add("files");
      await add("docs");
      const ranked = await names({ text: "create new word document" });
      expect(ranked[0]).toBe("create_document");
      expect(ranked).toContain("write_file");
    });

    it("replacing a server's documents is idempotent and drops tools it no longer lists", async () => {
      const server = await add("files");
      const { catalog } = fixtureServer("files");
      const documents = await buildDocuments({ ...server }, catalog, DEFAULT_RANKING);
      await index.replaceServer(tenant, server.id, documents);
      await index.replaceServer(tenant, server.id, documents);
      expect(await names({ text: "file", onlyFields: ["name"] })).toHaveLength(2);

      const fewer = await buildDocuments(server, catalog.slice(0, 1), DEFAULT_RANKING);
      await index.replaceServer(tenant, server.id, fewer);
      expect(await names({ text: "file", onlyFields: ["name"] })).toEqual(["read_file"]);
      expect((await index.contentHashes(tenant, server.id)).size).toBe(2); // the tool and the server
    });

    it("removes every document of a server, idempotently", async () => {
      const server = await add("weather");
      await add("files");
      await index.removeServer(tenant, server.id);
      await index.removeServer(tenant, server.id);
      expect(await names({ text: "weather forecast" })).toEqual([]);
      expect(await index.serverIds(tenant)).toHaveLength(1);
    });

    it("never returns another tenant's documents", async () => {
      await add("weather");
      const other = `tenant-${crypto.randomUUID()}`;
      const { server, catalog } = fixtureServer("weather", { tenant: other });
      const documents = await buildDocuments(server, catalog, DEFAULT_RANKING);
      await index.replaceServer(other, server.id, documents);
      const hits = await names({ text: "forecast" });
      expect(hits).toEqual(["get_forecast"]);
      expect(
        await index.documents(
          tenant,
          documents.map((document) => document.id),
        ),
      ).toEqual([]);
      await expect(index.replaceServer(tenant, server.id, documents)).rejects.toThrow();
    });

    it("keeps disabled documents out of search but reports them by id", async () => {
      const server = await add("weather", { enabled: false });
      expect(await names({ text: "forecast" })).toEqual([]);
      const stored = await index.documents(tenant, [
        ...(await index.contentHashes(tenant, server.id)).keys(),
      ]);
      expect(stored).toHaveLength(3);
      expect(stored.every((document) => !document.enabled)).toBe(true);
    });

    it("filters by server path and tag, and searches servers apart from tools", async () => {
      const weather = await add("weather");
      await add("files");
      expect(await names({ text: "path file forecast", serverPath: weather.path })).toEqual(["get_forecast"]);
      const tagged = await names({ text: "file forecast", tag: "files" });
      expect(tagged.length).toBeGreaterThan(0);
      expect(tagged.every((name) => ["read_file", "write_file", "listDirectory"].includes(name))).toBe(true);
      expect(await names({ text: "forecast", tag: "no-such-tag" })).toEqual([]);
      const [servers] = await index.search([
        { tenant, kind: "server", terms: terms("weather agency"), limit: 5 },
      ]);
      expect(servers?.map((hit) => [hit.document.kind, hit.document.name])).toEqual([
        ["server", "Weather Service"],
      ]);
    });

    it("matches in chosen fields only, and weighs fields as asked", async () => {
      await add("files");
      await add("docs");
      expect(await names({ text: "document", onlyFields: ["name"] })).toEqual(["create_document"]);
      const score = async (fieldWeights: KeywordQuery["fieldWeights"]) => {
        const [hits] = await index.search([
          { tenant, kind: "tool", terms: terms("pdf"), limit: 1, fieldWeights },
        ]);
        expect(hits?.[0]?.document.name).toBe("convertToPdf");
        return hits?.[0]?.score ?? 0;
      };
      expect(await score({ name: 10 })).toBeGreaterThan(await score({ name: 0.1 }));
    });

    it("blends in the server's score when asked (two-stage ranking)", async () => {
      const addCustom = async (name: string, description: string, tools: ToolSpec[]) => {
        const server = sampleServer({ tenant, name, description, tags: [] });
        await index.replaceServer(
          tenant,
          server.id,
          await buildDocuments(server, tools.map(toolEntry), DEFAULT_RANKING),
        );
        return server;
      };
      const weather = await addCustom("Alpha", "Weather forecasts", [
        { name: "list_items", description: "List the items." },
      ]);
      await addCustom("Beta", "Blob storage", [
        { name: "list_items", description: "List the items, all items." },
      ]);
      const rank = async (blend?: Blend) => {
        const [hits] = await index.search([
          { tenant, kind: "tool", terms: terms("weather items"), limit: 5, blend },
        ]);
        return hits ?? [];
      };
      expect((await rank())[0]?.document.serverId).not.toBe(weather.id);
      const blended = await rank({ serverWeight: 1 });
      expect(blended[0]?.document.serverId).toBe(weather.id);
      expect(blended.map((hit) => hit.score)).toEqual(
        [...blended.map((hit) => hit.score)].sort((x, y) => y - x),
      );
    });

    it("pages with limit and offset; scores are positive and descending", async () => {
      await add("files");
      await add("docs");
      const [all] = await index.search([
        { tenant, kind: "tool", terms: terms("file document new"), limit: 10 },
      ]);
      const [page] = await index.search([
        { tenant, kind: "tool", terms: terms("file document new"), limit: 2, offset: 1 },
      ]);
      expect(page?.map((hit) => hit.document.id)).toEqual(all?.slice(1, 3).map((hit) => hit.document.id));
      const scores = (all ?? []).map((hit) => hit.score);
      expect(scores.every((score) => score > 0)).toBe(true);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    });

    it("treats any term text as plain words, never as query syntax", async () => {
      await add("files");
      const nasty = ['"', 'a"b', "NEAR(", "*", "f_name:x", "AND", "-", "(", ")", "^file", "NOT"];
      const results = await index.search([
        { tenant, kind: "tool", terms: nasty.map((term) => ({ term, weight: 1 })), limit: 5 },
        { tenant, kind: "tool", terms: [], limit: 5 },
      ]);
      expect(results).toHaveLength(2);
      expect(results[1]).toEqual([]);
    });

    it("describes documents by id with the fields in which the terms occur", async () => {
      const server = await add("files");
      const ids = [...(await index.contentHashes(tenant, server.id)).keys()];
      const described = await index.documents(tenant, ids, ["overwrite", "file"]);
      expect(described).toHaveLength(4);
      const writeFile = described.find((document) => document.name === "write_file");
      expect(writeFile?.matchedFields).toEqual(expect.arrayContaining(["name", "description"]));
      expect(writeFile).toMatchObject({
        kind: "tool",
        serverId: server.id,
        enabled: true,
        tags: ["files", "local"],
      });
      expect(writeFile?.inputSchema).toMatchObject({ type: "object" });
      const plain = await index.documents(tenant, ids);
      expect(plain.every((document) => document.matchedFields.length === 0)).toBe(true);
      expect(await index.documents(tenant, [])).toEqual([]);
    });
  });
}
