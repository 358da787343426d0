// Fingerprints of catalog entries: SHA-256 over a canonical JSON of the fields
// that define what a tool (resource, prompt) is and does. A changed fingerprint
// means the upstream changed the entry; tool pinning builds on this later.
import { sha256Hex } from "../platform/encoding.ts";
import type { CatalogKind } from "../store/registry-store.ts";

const IDENTITY_FIELDS: Record<CatalogKind, readonly string[]> = {
  tool: ["name", "title", "description", "inputSchema", "outputSchema", "annotations"],
  resource: ["uri", "name", "title", "description", "mimeType"],
  resource_template: ["uriTemplate", "name", "title", "description", "mimeType"],
  prompt: ["name", "title", "description", "arguments"],
};

/** JSON with object keys sorted at every depth, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The canonical JSON of the fields a fingerprint covers (comparable without hashing). */
export function identityJson(kind: CatalogKind, definition: Record<string, unknown>): string {
  const identity: Record<string, unknown> = { kind };
  for (const field of IDENTITY_FIELDS[kind]) identity[field] = definition[field];
  return canonicalJson(identity);
}

export function fingerprint(kind: CatalogKind, definition: Record<string, unknown>): Promise<string> {
  return sha256Hex(identityJson(kind, definition));
}
