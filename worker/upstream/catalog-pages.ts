// Walks one paginated MCP list (tools, resources, resource templates, prompts)
// page by page, keeping each object exactly as the server sent it. The walk is
// capped so a runaway server cannot exhaust us; hitting a cap adds a warning.
import {
  type Client,
  METHOD_NOT_FOUND,
  ProtocolError,
  type RequestOptions,
} from "@modelcontextprotocol/client";
import { z } from "zod";

export const MAX_PAGES = 100;
export const MAX_ITEMS = 5_000;

export interface CatalogKind {
  /** Field of the list result, and of the catalog, holding the items. */
  field: "tools" | "resources" | "resourceTemplates" | "prompts";
  method: "tools/list" | "resources/list" | "resources/templates/list" | "prompts/list";
  /** The string field every item must carry. */
  key: "name" | "uri" | "uriTemplate";
  /** The server capability that advertises the list. */
  capability: "tools" | "resources" | "prompts";
  /** Some servers advertise a capability without this list; treat "method not found" as empty. */
  optional?: boolean;
}

type CatalogObject = Record<string, unknown>;

export async function listAll(
  client: Client,
  kind: CatalogKind,
  options: RequestOptions,
  warnings: string[],
): Promise<CatalogObject[]> {
  try {
    return await walk(client, kind, options, warnings);
  } catch (error) {
    if (kind.optional && error instanceof ProtocolError && error.code === METHOD_NOT_FOUND) {
      warnings.push(`server advertises resources but does not implement ${kind.method}`);
      return [];
    }
    throw error;
  }
}

async function walk(
  client: Client,
  kind: CatalogKind,
  options: RequestOptions,
  warnings: string[],
): Promise<CatalogObject[]> {
  // Loose: the items stay exactly as sent (unknown fields included); only the envelope is checked.
  const pageSchema = z
    .looseObject({ nextCursor: z.string().optional() })
    .refine((page) => Array.isArray(page[kind.field]), `result has no ${kind.field} array`);
  const label = kind.field === "resourceTemplates" ? "resource templates" : kind.field;
  const items: CatalogObject[] = [];
  const seenCursors = new Set<string>();
  let skipped = 0;
  let cursor: string | undefined;

  for (let page = 1; ; page++) {
    const request =
      cursor === undefined ? { method: kind.method } : { method: kind.method, params: { cursor } };
    const result = await client.request(request, pageSchema, options);
    const entries = result[kind.field];
    for (const entry of Array.isArray(entries) ? entries : []) {
      if (!hasStringField(entry, kind.key)) {
        skipped++;
        continue;
      }
      if (items.length === MAX_ITEMS) {
        warnings.push(`${label} list truncated at ${MAX_ITEMS} items`);
        return withSkipNote(items, skipped, label, kind.key, warnings);
      }
      items.push(entry);
    }

    const next = result.nextCursor;
    if (next === undefined || next === "") break;
    if (seenCursors.has(next)) {
      warnings.push(`${label} list stopped: the server repeated a pagination cursor`);
      break;
    }
    if (page === MAX_PAGES) {
      warnings.push(`${label} list truncated after ${MAX_PAGES} pages`);
      break;
    }
    seenCursors.add(next);
    cursor = next;
  }
  return withSkipNote(items, skipped, label, kind.key, warnings);
}

function withSkipNote(
  items: CatalogObject[],
  skipped: number,
  label: string,
  key: string,
  warnings: string[],
): CatalogObject[] {
  if (skipped > 0) warnings.push(`skipped ${skipped} ${label} without a ${key}`);
  return items;
}

function hasStringField(value: unknown, key: string): value is CatalogObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const field = (value as CatalogObject)[key];
  return typeof field === "string" && field !== "";
}
