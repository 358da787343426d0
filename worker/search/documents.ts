// Turns a registry record and its catalog into search documents: one per
// tool and one for the server, with the analysed text of each field, the
// text an embedder sees, and stable ids. Pure apart from hashing (Web Crypto).
import type { CatalogEntry, ServerRecord } from "../store/registry-store.ts";
import { indexText, type TokenOptions } from "./analysis.ts";
import type { DocumentFields, SearchDocument } from "./ports.ts";
import { LEAD_WORDS, type RankingSettings } from "./ranking.ts";

/** Caps on analysed text per field, so one verbose server cannot bloat the index. */
const MAX_FIELD_CHARS = 4_000;
const MAX_SERVER_TOOLS_CHARS = 12_000;
const MAX_EMBEDDING_CHARS = 2_000;

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** `t_`/`s_` + 43 characters: within Vectorize's 64-byte id limit. */
export async function documentId(kind: "tool" | "server", serverId: string, name = ""): Promise<string> {
  const digest = await sha256(kind === "tool" ? `${serverId}\n${name}` : serverId);
  return `${kind === "tool" ? "t" : "s"}_${base64url(digest)}`;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The first sentence (at most LEAD_WORDS words) and the rest. */
export function splitLead(description: string): { lead: string; rest: string } {
  const trimmed = description.trim();
  const sentenceEnd = /[.!?。！？](?=\s|$)|\n/.exec(trimmed);
  const sentence = sentenceEnd ? trimmed.slice(0, sentenceEnd.index + 1) : trimmed;
  const words = sentence.split(/\s+/).filter(Boolean);
  const lead = words.slice(0, LEAD_WORDS).join(" ");
  const consumed = words.length > LEAD_WORDS ? lead : sentence;
  return { lead, rest: trimmed.slice(consumed.length).trim() };
}

/** Parameter names (identifier split by the analyser) with their titles and descriptions. */
function parameterText(schema: unknown): string {
  if (typeof schema !== "object" || schema === null) return "";
  const properties = (schema as { properties?: unknown }).properties;
  if (typeof properties !== "object" || properties === null) return "";
  return Object.entries(properties as Record<string, unknown>)
    .map(([name, property]) => {
      const details = typeof property === "object" && property !== null ? property : {};
      return `${name} ${text((details as { title?: unknown }).title)} ${text((details as { description?: unknown }).description)}`;
    })
    .join(" ");
}

function analysed(value: string, options: TokenOptions, max = MAX_FIELD_CHARS): string {
  return indexText(value.slice(0, max * 2), options).slice(0, max);
}

/**
 * A server's tools as a vocabulary: each word once. What the server can do is
 * the set of things its tools name; a word every tool repeats ("get", "the
 * file") should not outweigh one that only a single tool offers. It also
 * keeps server documents short, which keeps their BM25 cheap.
 */
function distinctWords(text: string): string {
  return [...new Set(text.split(" "))].join(" ");
}

function emptyFields(): DocumentFields {
  return { name: "", description: "", details: "", params: "", server: "", tags: "", tools: "" };
}

export function searchable(server: ServerRecord): boolean {
  return server.enabled && server.lifecycle !== "deleted";
}

/** The server's documents: its tools (in catalog order), then the server itself. */
export async function buildDocuments(
  server: ServerRecord,
  catalog: CatalogEntry[],
  settings: RankingSettings,
): Promise<SearchDocument[]> {
  const options: TokenOptions = { splitIdentifiers: settings.features.has("identifiers") };
  const useLead = settings.features.has("description-lead");
  const tags = server.tags.join(" ");
  const serverField = analysed(`${server.name} ${server.path}`, options);
  // The registry keeps one entry per key; a repeated key would repeat a document id.
  const seen = new Set<string>();
  const tools = catalog.filter((entry) => {
    if (entry.kind !== "tool" || seen.has(entry.key)) return false;
    seen.add(entry.key);
    return true;
  });
  const documents: SearchDocument[] = [];
  const toolSummaries: string[] = [];

  for (const entry of tools) {
    const definition = entry.definition;
    const title = text(definition.title) || null;
    const description = text(definition.description);
    const { lead, rest } = useLead ? splitLead(description) : { lead: description, rest: "" };
    toolSummaries.push(`${entry.key} ${lead}`);
    const inputSchema =
      typeof definition.inputSchema === "object" && definition.inputSchema !== null
        ? (definition.inputSchema as Record<string, unknown>)
        : null;
    const embeddingText =
      `${entry.key}${title ? ` (${title})` : ""}: ${description} (server: ${server.name})`.slice(
        0,
        MAX_EMBEDDING_CHARS,
      );
    documents.push({
      id: await documentId("tool", server.id, entry.key),
      tenant: server.tenant,
      kind: "tool",
      serverId: server.id,
      serverPath: server.path,
      serverName: server.name,
      name: entry.key,
      title,
      description,
      tags: server.tags,
      inputSchema,
      enabled: searchable(server),
      fields: {
        ...emptyFields(),
        name: analysed(`${entry.key} ${title ?? ""}`, options),
        description: analysed(lead, options),
        details: analysed(rest, options),
        params: analysed(parameterText(inputSchema), options),
        server: serverField,
        tags: analysed(tags, options),
      },
      embeddingText,
      contentHash: hex(await sha256(embeddingText)),
    });
  }

  const serverTitle = server.catalog.serverInfo?.title ?? "";
  const serverEmbedding =
    `${server.name}: ${server.description} (tools: ${tools.map((tool) => tool.key).join(", ")})`.slice(
      0,
      MAX_EMBEDDING_CHARS,
    );
  documents.push({
    id: await documentId("server", server.id),
    tenant: server.tenant,
    kind: "server",
    serverId: server.id,
    serverPath: server.path,
    serverName: server.name,
    name: server.name,
    title: serverTitle || null,
    description: server.description,
    tags: server.tags,
    inputSchema: null,
    enabled: searchable(server),
    fields: {
      ...emptyFields(),
      name: analysed(`${server.name} ${server.path} ${serverTitle}`, options),
      description: analysed(server.description, options),
      tools: distinctWords(analysed(toolSummaries.join(" "), options, MAX_SERVER_TOOLS_CHARS)),
      tags: analysed(tags, options),
    },
    embeddingText: serverEmbedding,
    contentHash: hex(await sha256(serverEmbedding)),
  });
  return documents;
}
