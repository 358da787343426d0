// Small, realistic catalogs for the search tests: a server record (from the
// registry contract's sample) with tools described as real MCP servers do.
import type { CatalogEntry, ServerRecord } from "../../worker/store/registry-store.ts";
import { sampleServer } from "../contract/registry-store.contract.ts";

export interface ToolSpec {
  name: string;
  description: string;
  params?: Record<string, string>;
  title?: string;
}

export function toolEntry(spec: ToolSpec): CatalogEntry {
  const properties = Object.fromEntries(
    Object.entries(spec.params ?? {}).map(([name, description]) => [name, { type: "string", description }]),
  );
  const definition: Record<string, unknown> = {
    name: spec.name,
    description: spec.description,
    inputSchema: { type: "object", properties },
  };
  if (spec.title) definition.title = spec.title;
  return { kind: "tool", key: spec.name, definition, fingerprint: `fp-${spec.name}` };
}

export const CATALOGS: Record<string, { server: Partial<ServerRecord>; tools: ToolSpec[] }> = {
  weather: {
    server: {
      name: "Weather Service",
      description: "Forecasts and alerts from the national weather agency",
      tags: ["weather"],
    },
    tools: [
      {
        name: "get_forecast",
        description: "Get the weather forecast for a city.",
        params: { city: "City name" },
      },
      {
        name: "get_alerts",
        description: "Active severe weather alerts for a US state.",
        params: { state: "Two-letter state code" },
      },
    ],
  },
  files: {
    server: {
      name: "Filesystem",
      description: "Read and write files on the local disk",
      tags: ["files", "local"],
    },
    tools: [
      {
        name: "read_file",
        description: "Read the complete contents of a file from the file system.",
        params: { path: "File path" },
      },
      {
        name: "write_file",
        description: "Create a new file or completely overwrite an existing file with new content.",
        params: { path: "File path", content: "Text to write" },
      },
      {
        name: "listDirectory",
        description: "List the entries of a directory.",
        params: { path: "Directory path" },
      },
    ],
  },
  docs: {
    server: { name: "Office Documents", description: "Create and convert Word documents", tags: ["office"] },
    tools: [
      {
        name: "convertToPdf",
        description: "Convert a Word document to PDF format.",
        params: { filename: "Document to convert" },
      },
      {
        name: "create_document",
        description: "Create a new Word document with optional metadata.",
        params: { title: "Document title" },
      },
    ],
  },
  github: {
    server: { name: "GitHub", description: "Repositories, issues and pull requests", tags: ["code"] },
    tools: [
      {
        name: "search-repositories",
        description: "Search for GitHub repositories by keyword.",
        params: { query: "Search words" },
      },
      {
        name: "create-issue",
        description: "Open a new issue in a repository.",
        params: { repo: "owner/name", body: "Issue text" },
      },
    ],
  },
};

export type CatalogName = keyof typeof CATALOGS;

export function fixtureServer(name: CatalogName, overrides: Partial<ServerRecord> = {}) {
  const spec = CATALOGS[name];
  if (!spec) throw new Error(`no fixture ${name}`);
  const server = sampleServer({ ...spec.server, ...overrides });
  return { server, catalog: spec.tools.map(toolEntry) };
}
