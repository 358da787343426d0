// The search ports: KeywordIndex (full text, BM25), VectorIndex (k nearest
// neighbours) and Embedder (text to vectors). The search service and the
// indexer see only these interfaces; adapters live beside them and are
// chosen in worker/search-adapters.ts. Each port has one contract suite in
// test/contract/ that every adapter passes.

export type DocumentKind = "tool" | "server";
export const DOCUMENT_KINDS: readonly DocumentKind[] = ["tool", "server"];

/** The analysed text of each searchable field (see documents.ts for what goes where). */
export interface DocumentFields {
  /** Tool name (identifier split) and title; for servers: name, path and title. */
  name: string;
  /** The lead of the description: its first sentence, at most a few dozen words. */
  description: string;
  /** The rest of the description. */
  details: string;
  /** Tools: parameter names and descriptions. */
  params: string;
  /** Tools: their server's name and path. */
  server: string;
  tags: string;
  /** Servers: the distinct words of their tools' names and description leads. */
  tools: string;
}

export type FieldName = keyof DocumentFields;

/** One searchable thing: a tool of a server, or a server. */
export interface SearchDocument {
  /** Stable, at most 64 bytes (a Vectorize limit): `t_`/`s_` + base64url SHA-256. */
  id: string;
  tenant: string;
  kind: DocumentKind;
  serverId: string;
  serverPath: string;
  serverName: string;
  /** Tool name (exactly as the server lists it) or server name. */
  name: string;
  title: string | null;
  description: string;
  tags: string[];
  /** Tools only: the input schema exactly as the server listed it. */
  inputSchema: Record<string, unknown> | null;
  /** Disabled (or lifecycle "deleted") servers and their tools are kept but never returned. */
  enabled: boolean;
  fields: DocumentFields;
  /** What an embedder sees for this document. */
  embeddingText: string;
  /** SHA-256 of `embeddingText`: an unchanged document is not embedded again. */
  contentHash: string;
}

/** A document as search results carry it (no analysed text). */
export type StoredDocument = Omit<SearchDocument, "fields" | "embeddingText">;

/**
 * What a ranking carries per candidate: enough to filter (permissions,
 * two-stage blending) without moving descriptions and schemas of hundreds of
 * candidates; the few that make the cut are fetched whole.
 */
export type DocumentRef = Pick<StoredDocument, "id" | "kind" | "serverId" | "serverPath" | "name">;

/** A stored document and the fields in which the given terms occur. */
export type DescribedDocument = StoredDocument & { matchedFields: FieldName[] };

export interface WeightedTerm {
  term: string;
  /** How many times the term counts; 1 or more (BM25 adds one contribution per occurrence). */
  weight: number;
}

export interface KeywordQuery {
  tenant: string;
  kind: DocumentKind;
  terms: WeightedTerm[];
  /** Per-field BM25 weights; fields left out weigh 1. */
  fieldWeights?: Partial<Record<FieldName, number>>;
  /** Match only in these fields (BM25 still sees the whole document). */
  onlyFields?: FieldName[];
  /** Exact tag of the server. */
  tag?: string;
  /** Server path. */
  serverPath?: string;
  /** Tools only: rank by a blend of scores instead of plain BM25 (see Blend). */
  blend?: Blend;
  /** Return each hit's whole document (with matched fields) too, saving a later `documents` call. */
  withDocuments?: boolean;
  limit: number;
  offset?: number;
}

/**
 * Two-stage ranking for tools: score = bm25 / best + serverWeight *
 * serverBm25 / bestServer, where serverBm25 is the score of the tool's server
 * for the query (servers are ranked first and a tool inherits part of its
 * server's score). Dividing each part by its best value among the candidates
 * makes the two comparable.
 */
export interface Blend {
  serverWeight: number;
  serverFieldWeights?: Partial<Record<FieldName, number>>;
}

export interface KeywordHit {
  document: DocumentRef;
  /** The whole document, when the query asked `withDocuments`. */
  described?: DescribedDocument;
  /** Positive; higher is better. Comparable only within one query. */
  score: number;
}

export interface KeywordIndex {
  /**
   * Makes the index hold exactly `documents` for this server (its tools and
   * itself), replacing whatever it held before, in one transaction.
   * Idempotent.
   */
  replaceServer(tenant: string, serverId: string, documents: SearchDocument[]): Promise<void>;
  /** Removes every document of the server. Idempotent. */
  removeServer(tenant: string, serverId: string): Promise<void>;
  /** Ids of the servers that have documents in the tenant (for reindex clean-up). */
  serverIds(tenant: string): Promise<string[]>;
  /** Runs several queries together (one round trip where the backend allows). Enabled documents only. */
  search(queries: KeywordQuery[]): Promise<KeywordHit[][]>;
  /**
   * The stored documents among `ids` that exist in the tenant now (enabled or
   * not), each with the fields in which any of `terms` occurs ([] without terms).
   */
  documents(tenant: string, ids: string[], terms?: string[]): Promise<DescribedDocument[]>;
  /** Content hashes of the server's documents, by id (to skip re-embedding unchanged ones). */
  contentHashes(tenant: string, serverId: string): Promise<Map<string, string>>;
}

export interface VectorRecord {
  id: string;
  values: number[];
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity, -1..1; higher is closer. */
  score: number;
}

export interface VectorIndex {
  /** Inserts or replaces vectors of the tenant. */
  upsert(tenant: string, records: VectorRecord[]): Promise<void>;
  /** Removes vectors by id; unknown ids are ignored. */
  remove(tenant: string, ids: string[]): Promise<void>;
  /**
   * The `topK` nearest vectors of the tenant. Some backends apply writes
   * after a delay: matches may name removed documents for a while, and
   * callers check them against the keyword index's documents.
   */
  query(tenant: string, vector: number[], topK: number): Promise<VectorMatch[]>;
}

export interface Embedder {
  /** Identifies the vector space; vectors from different models never mix. */
  readonly model: string;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<number[][]>;
}

/** An embedding or vector backend failed; `retryable` when trying again later may help. */
export class SearchBackendError extends Error {
  override readonly name = "SearchBackendError";
  readonly backend: string;
  readonly retryable: boolean;

  constructor(backend: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(`${backend}: ${message}`, { cause: options.cause });
    this.backend = backend;
    this.retryable = options.retryable ?? false;
  }
}
