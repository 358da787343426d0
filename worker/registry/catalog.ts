// Turns what an MCP server listed into stored catalog entries and the summary
// kept on its record. Entries keep the server's own order; a key listed twice
// keeps its first definition and the duplicate is reported as a warning.

import type { CatalogEntry, CatalogKind, CatalogState } from "../store/registry-store.ts";
import type { DiscoveredCatalog } from "../upstream/catalog-reader.ts";
import { fingerprint } from "./fingerprint.ts";

const KEY_FIELD: Record<CatalogKind, string> = {
  tool: "name",
  resource: "uri",
  resource_template: "uriTemplate",
  prompt: "name",
};

export interface ReadCatalog {
  entries: CatalogEntry[];
  state: CatalogState;
}

export async function catalogFromDiscovery(
  discovered: DiscoveredCatalog,
  checkedAt: string,
): Promise<ReadCatalog> {
  const warnings = [...discovered.warnings];
  const lists: [CatalogKind, Record<string, unknown>[]][] = [
    ["tool", discovered.tools],
    ["resource", discovered.resources],
    ["resource_template", discovered.resourceTemplates],
    ["prompt", discovered.prompts],
  ];
  const entries: CatalogEntry[] = [];
  const counts = { tools: 0, resources: 0, resourceTemplates: 0, prompts: 0 };
  for (const [kind, items] of lists) {
    const seen = new Set<string>();
    for (const definition of items) {
      const key = definition[KEY_FIELD[kind]];
      if (typeof key !== "string" || key === "") {
        warnings.push(`skipped a ${kind} without a ${KEY_FIELD[kind]}`);
        continue;
      }
      if (seen.has(key)) {
        warnings.push(`${kind} "${key}" is listed more than once; the first definition is kept`);
        continue;
      }
      seen.add(key);
      entries.push({ kind, key, definition, fingerprint: await fingerprint(kind, definition) });
    }
    counts[countField(kind)] = seen.size;
  }
  return {
    entries,
    state: {
      status: "ok",
      error: null,
      checkedAt,
      serverInfo: discovered.serverInfo,
      protocolVersion: discovered.protocolVersion,
      counts,
      warnings,
    },
  };
}

function countField(kind: CatalogKind): keyof CatalogState["counts"] {
  switch (kind) {
    case "tool":
      return "tools";
    case "resource":
      return "resources";
    case "resource_template":
      return "resourceTemplates";
    case "prompt":
      return "prompts";
  }
}

/** The state of a server that could not be read; what was known before is kept. */
export function unreachableState(
  previous: CatalogState | null,
  reason: string,
  checkedAt: string,
): CatalogState {
  return {
    status: "unreachable",
    error: reason,
    checkedAt,
    serverInfo: previous?.serverInfo ?? null,
    protocolVersion: previous?.protocolVersion ?? null,
    counts: previous?.counts ?? { tools: 0, resources: 0, resourceTemplates: 0, prompts: 0 },
    warnings: [],
  };
}
