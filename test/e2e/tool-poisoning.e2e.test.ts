// The security scanner measured through the product: the labelled poisoned
// tool definitions (../shared/data/tool-poisoning/dev.json), the benign
// look-alikes (benign-hard.json) and the 726 real tool descriptions
// (../shared/data/tool-retrieval/) are served by real MCP servers on
// loopback, registered through the REST API of the gateway under `wrangler
// dev`, and the stored findings are read back with GET
// /api/v1/servers/{id}/findings. Required: >= 90% of poisoned tools flagged
// at medium or above, <= 2% of benign ones. Figures per category are printed.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CatalogServer, startCatalogServer } from "../support/catalog-server.ts";
import { type LabelledTool, loadPoisoningCorpus } from "../support/tool-poisoning-data.ts";
import { type Stack, startStack } from "./harness.ts";

const corpus = loadPoisoningCorpus((path) => readFileSync(path, "utf8"));
const MAX_TOOLS_PER_SERVER = 60;

/** Tools grouped into catalogs with unique names (a server cannot list a name twice). */
function catalogsOf(items: LabelledTool[]): LabelledTool[][] {
  const catalogs: LabelledTool[][] = [];
  for (const item of items) {
    const name = String(item.tool.name);
    let home = catalogs.find(
      (catalog) =>
        catalog.length < MAX_TOOLS_PER_SERVER && !catalog.some((other) => other.tool.name === name),
    );
    if (!home) {
      home = [];
      catalogs.push(home);
    }
    home.push(item);
  }
  return catalogs;
}

const sets = {
  poisoned: catalogsOf(corpus.poisoned),
  benignHard: catalogsOf(corpus.benignHard),
  benignReal: catalogsOf(corpus.benignReal),
};
const allCatalogs = [...sets.poisoned, ...sets.benignHard, ...sets.benignReal];

let stack: Stack;
let upstream: CatalogServer;
/** Labelled item id -> flagged at medium or above. */
const flagged = new Map<string, boolean>();
const registrationWarnings = new Map<number, number>();

async function findingsOf(serverId: string): Promise<{ key: string; severity: string }[]> {
  const found: { key: string; severity: string }[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ severity: "medium", limit: "200", ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${stack.gateway.url}/api/v1/servers/${serverId}/findings?${query}`, {
      headers: { authorization: `Bearer ${stack.token}` },
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as {
      items: { key: string; severity: string }[];
      nextCursor: string | null;
    };
    found.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

beforeAll(async () => {
  [stack, upstream] = await Promise.all([
    startStack(),
    startCatalogServer(allCatalogs.map((catalog) => catalog.map((item) => item.tool))),
  ]);
  for (const [index, catalog] of allCatalogs.entries()) {
    const server = (await stack.register({
      name: `Catalog ${index}`,
      path: `scan-${index}`,
      endpoints: [{ url: upstream.urlOf(index), transport: "streamable-http" }],
    })) as unknown as {
      id: string;
      catalog: { status: string; counts: { tools: number } };
      warnings: unknown[];
    };
    expect(server.catalog.status).toBe("ok");
    expect(server.catalog.counts.tools).toBe(catalog.length);
    registrationWarnings.set(index, server.warnings.length);
    const flaggedKeys = new Set((await findingsOf(server.id)).map((finding) => finding.key));
    for (const item of catalog) flagged.set(item.id, flaggedKeys.has(String(item.tool.name)));
  }
}, 600_000);

afterAll(async () => {
  await Promise.allSettled([stack?.stop(), upstream?.close()]);
});

describe("tool-poisoning scanner through registration", () => {
  it("flags at least 90% of poisoned tools at medium or above, reported per category", () => {
    const categories = new Map<string, { total: number; flagged: number }>();
    for (const item of corpus.poisoned) {
      const row = categories.get(item.category) ?? { total: 0, flagged: 0 };
      row.total += 1;
      if (flagged.get(item.id)) row.flagged += 1;
      categories.set(item.category, row);
    }
    const lines = [...categories].sort().map(([category, row]) => `${category}: ${row.flagged}/${row.total}`);
    const total = corpus.poisoned.filter((item) => flagged.get(item.id)).length;
    console.log(`poisoned flagged ${total}/${corpus.poisoned.length}; ${lines.join("; ")}`);
    expect(total / corpus.poisoned.length).toBeGreaterThanOrEqual(0.9);
  });

  it("flags at most 2% of benign tools (hard look-alikes and real descriptions)", () => {
    const benign = [...corpus.benignHard, ...corpus.benignReal];
    const wrong = benign.filter((item) => flagged.get(item.id)).map((item) => item.id);
    console.log(`benign flagged ${wrong.length}/${benign.length}: ${wrong.join(", ")}`);
    expect(benign.every((item) => flagged.has(item.id))).toBe(true);
    expect(wrong.length / benign.length).toBeLessThanOrEqual(0.02);
  });

  it("puts the findings in the registration response's warnings", () => {
    const poisonedCatalogs = sets.poisoned.length;
    for (let index = 0; index < poisonedCatalogs; index += 1) {
      expect(registrationWarnings.get(index)).toBeGreaterThan(0);
    }
  });
});
