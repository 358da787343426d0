// KeywordIndex on D1's SQLite FTS5: documents live in `search_documents`,
// two external-content FTS5 tables (tools, servers) index their analysed
// fields with the Porter stemmer, and triggers keep them in step (see
// migrations/0002_search_index.sql and docs/storage.md). Ranking is FTS5's
// bm25() with per-field weights. Written against the small part of the D1
// API it needs, so a SQLite database with the same interface works too.
import { weightedExpression } from "./analysis.ts";
import { porterStem } from "./porter.ts";
import type {
  Blend,
  DescribedDocument,
  DocumentKind,
  DocumentRef,
  FieldName,
  KeywordHit,
  KeywordIndex,
  KeywordQuery,
  SearchDocument,
  StoredDocument,
} from "./ports.ts";

/** The subset of D1Database this adapter uses. */
export interface SqlDatabase {
  prepare(query: string): SqlStatement;
  batch<T = unknown>(statements: SqlStatement[]): Promise<{ results: T[] }[]>;
}

export interface SqlStatement {
  bind(...values: unknown[]): SqlStatement;
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
  run(): Promise<unknown>;
}

/** FTS5 columns per table, in declaration order (bm25 weights and highlight() use positions). */
const COLUMNS: Record<DocumentKind, { table: string; fields: FieldName[] }> = {
  tool: { table: "search_tools_fts", fields: ["name", "description", "details", "params", "server", "tags"] },
  server: { table: "search_servers_fts", fields: ["name", "description", "tools", "tags"] },
};

const DOCUMENT_COLUMNS =
  "d.id, d.tenant, d.kind, d.server_id, d.server_path, d.server_name, d.name, d.title, d.description, d.tags, d.input_schema, d.enabled, d.content_hash";
const FIELD_COLUMNS = "d.f_name, d.f_description, d.f_details, d.f_params, d.f_server, d.f_tags, d.f_tools";
/** Rankings return only these (see DocumentRef). */
const REF_COLUMNS = "d.id, d.kind, d.server_id, d.server_path, d.name";

/**
 * Join order is spelled out with CROSS JOIN (which SQLite never reorders):
 * rankings start at the FTS table (never evaluate the MATCH once per
 * document), reads by id start at the id list (one index probe each, and the
 * FTS table then only checks those rows).
 */
/** Documents per insert statement: each travels as one JSON parameter, far below D1's limits. */
const INSERT_CHUNK = 50;
/** Ids per `json_each` parameter. */
const ID_CHUNK = 500;

interface DocumentRow {
  id: string;
  tenant: string;
  kind: DocumentKind;
  server_id: string;
  server_path: string;
  server_name: string;
  name: string;
  title: string | null;
  description: string;
  tags: string;
  input_schema: string | null;
  enabled: number;
  content_hash: string;
}

interface RefRow {
  id: string;
  kind: DocumentKind;
  server_id: string;
  server_path: string;
  name: string;
  score: number;
}

function refFromRow(row: RefRow): DocumentRef {
  return { id: row.id, kind: row.kind, serverId: row.server_id, serverPath: row.server_path, name: row.name };
}

type FieldRow = { [K in FieldName as `f_${K}`]: string };

/**
 * The fields of a document in which any of the (stemmed) terms occurs, found
 * the way the FTS tokenizer sees words: unicode61 with diacritics removed,
 * then Porter. Cheaper than highlight(), which re-reads position lists.
 */
function matchedFields(row: FieldRow & { kind: DocumentKind }, stems: ReadonlySet<string>): FieldName[] {
  return COLUMNS[row.kind].fields.filter((field) => {
    const text = row[`f_${field}`]
      .normalize("NFD")
      .replace(/\p{Mn}/gu, "")
      .toLowerCase();
    for (const word of text.match(/[\p{L}\p{N}]+/gu) ?? []) {
      if (stems.has(porterStem(word))) return true;
    }
    return false;
  });
}

function fromRow(row: DocumentRow): StoredDocument {
  return {
    id: row.id,
    tenant: row.tenant,
    kind: row.kind,
    serverId: row.server_id,
    serverPath: row.server_path,
    serverName: row.server_name,
    name: row.name,
    title: row.title,
    description: row.description,
    tags: JSON.parse(row.tags) as string[],
    inputSchema: row.input_schema === null ? null : (JSON.parse(row.input_schema) as Record<string, unknown>),
    enabled: row.enabled === 1,
    contentHash: row.content_hash,
  };
}

function toRow(document: SearchDocument, ordinal: number, updatedAt: string): Record<string, unknown> {
  const { fields } = document;
  if (ordinal >= 2 ** ORDINAL_BITS) throw new RangeError("too many documents for one server");
  return {
    ordinal,
    id: document.id,
    tenant: document.tenant,
    kind: document.kind,
    server_id: document.serverId,
    server_path: document.serverPath,
    server_name: document.serverName,
    name: document.name,
    title: document.title,
    description: document.description,
    tags: JSON.stringify(document.tags),
    input_schema: document.inputSchema === null ? null : JSON.stringify(document.inputSchema),
    enabled: document.enabled ? 1 : 0,
    content_hash: document.contentHash,
    f_name: fields.name,
    f_description: fields.description,
    f_details: fields.details,
    f_params: fields.params,
    f_server: fields.server,
    f_tags: fields.tags,
    f_tools: fields.tools,
    updated_at: updatedAt,
  };
}

const INSERT_COLUMNS = [
  "id",
  "tenant",
  "kind",
  "server_id",
  "server_path",
  "server_name",
  "name",
  "title",
  "description",
  "tags",
  "input_schema",
  "enabled",
  "content_hash",
  "f_name",
  "f_description",
  "f_details",
  "f_params",
  "f_server",
  "f_tags",
  "f_tools",
  "updated_at",
];

/** Bits of a document rowid that hold its ordinal within the server; the rest is the server key. */
const ORDINAL_BITS = 20;

/**
 * Rows travel as one JSON parameter; each gets rowid (server key << 20) +
 * ordinal. Nothing is inserted when the server row is missing or belongs to
 * another tenant (the key subquery is then NULL).
 */
const INSERT_SQL = `INSERT INTO search_documents (rowid, ${INSERT_COLUMNS.join(", ")})
  SELECT ((SELECT key FROM search_servers WHERE server_id = ? AND tenant = ?) << ${ORDINAL_BITS})
           + json_extract(value, '$.ordinal'),
         ${INSERT_COLUMNS.map((column) => `json_extract(value, '$.${column}')`).join(", ")}
  FROM json_each(?)
  WHERE (SELECT key FROM search_servers WHERE server_id = ? AND tenant = ?) IS NOT NULL`;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** A weight written into SQL (bm25() takes literal arguments): finite and not negative. */
function number(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`invalid weight ${value}`);
  return String(value);
}

export class Fts5KeywordIndex implements KeywordIndex {
  private readonly db: SqlDatabase;
  private readonly now: () => Date;

  constructor(db: SqlDatabase, now: () => Date = () => new Date()) {
    this.db = db;
    this.now = now;
  }

  async replaceServer(tenant: string, serverId: string, documents: SearchDocument[]): Promise<void> {
    for (const document of documents) {
      if (document.tenant !== tenant || document.serverId !== serverId) {
        throw new Error(`document ${document.id} belongs to another server or tenant`);
      }
    }
    const first = documents[0];
    if (!first) return this.removeServer(tenant, serverId);
    const updatedAt = this.now().toISOString();
    const rows = documents.map((document, index) => toRow(document, index + 1, updatedAt));
    const statements = [
      // A server id already indexed under another tenant is left alone (and gets no documents below).
      this.db
        .prepare(
          `INSERT INTO search_servers (server_id, tenant, path, tags, enabled) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (server_id) DO UPDATE SET path = excluded.path, tags = excluded.tags, enabled = excluded.enabled
           WHERE search_servers.tenant = excluded.tenant`,
        )
        .bind(serverId, tenant, first.serverPath, JSON.stringify(first.tags), first.enabled ? 1 : 0),
      this.db
        .prepare("DELETE FROM search_documents WHERE server_id = ? AND tenant = ?")
        .bind(serverId, tenant),
      ...chunks(rows, INSERT_CHUNK).map((chunk) =>
        this.db.prepare(INSERT_SQL).bind(serverId, tenant, JSON.stringify(chunk), serverId, tenant),
      ),
    ];
    await this.db.batch(statements);
  }

  async removeServer(tenant: string, serverId: string): Promise<void> {
    await this.db.batch([
      this.db
        .prepare("DELETE FROM search_documents WHERE server_id = ? AND tenant = ?")
        .bind(serverId, tenant),
      this.db.prepare("DELETE FROM search_servers WHERE server_id = ? AND tenant = ?").bind(serverId, tenant),
    ]);
  }

  async serverIds(tenant: string): Promise<string[]> {
    const { results } = await this.db
      .prepare("SELECT server_id FROM search_servers WHERE tenant = ?")
      .bind(tenant)
      .all<{ server_id: string }>();
    return results.map((row) => row.server_id);
  }

  async search(queries: KeywordQuery[]): Promise<KeywordHit[][]> {
    const runnable = queries.map((query) => (query.terms.length === 0 ? null : this.searchStatement(query)));
    const statements = runnable.filter((statement): statement is SqlStatement => statement !== null);
    if (statements.length === 0) return queries.map(() => []);
    type Row = DocumentRow & FieldRow & { score: number };
    // One statement needs no transaction around it.
    const [only] = statements;
    const results =
      statements.length === 1 && only ? [await only.all<Row>()] : await this.db.batch<Row>(statements);
    let next = 0;
    return queries.map((query, index) => {
      if (runnable[index] === null) return [];
      const rows = results[next++]?.results ?? [];
      if (!query.withDocuments) return rows.map((row) => ({ document: refFromRow(row), score: row.score }));
      const stems = new Set(query.terms.map(({ term }) => porterStem(term)));
      return rows.map((row) => {
        const described = { ...fromRow(row), matchedFields: matchedFields(row, stems) };
        return { document: refFromRow(row), described, score: row.score };
      });
    });
  }

  /**
   * A ranking statement: `ranking` yields (rid, score) for the page asked
   * for; only those rows are then joined back for their columns.
   */
  private pageStatement(query: KeywordQuery, ranking: string, values: unknown[]): SqlStatement {
    const columns = query.withDocuments ? `${DOCUMENT_COLUMNS}, ${FIELD_COLUMNS}` : REF_COLUMNS;
    return this.db
      .prepare(
        `WITH page AS (${ranking} ORDER BY score DESC LIMIT ? OFFSET ?)
         SELECT ${columns}, page.score AS score
         FROM page CROSS JOIN search_documents d ON d.rowid = page.rid
         ORDER BY page.score DESC`,
      )
      .bind(...values, query.limit, query.offset ?? 0);
  }

  private searchStatement(query: KeywordQuery): SqlStatement {
    if (query.kind === "tool" && query.blend) return this.blendedStatement(query, query.blend);
    const { table } = COLUMNS[query.kind];
    const servers = this.serverFilter(query);
    return this.pageStatement(
      query,
      `WITH s AS MATERIALIZED (${servers.sql})
       SELECT rowid AS rid, -bm25(${table}, ${this.weights(query.kind, query.fieldWeights)}) AS score
       FROM ${table}
       WHERE ${table} MATCH ? AND (rowid >> ${ORDINAL_BITS}) IN (SELECT key FROM s)`,
      [...servers.values, this.expression(query, query.kind, query.onlyFields)],
    );
  }

  /**
   * The two-stage blend in one statement, so only the final candidates leave
   * the database: tool scores (t) and server scores (v) are computed once each
   * (MATERIALIZED), each divided by its best value, and summed. Rows are
   * filtered by their server key (rowid >> 20) against the small set of
   * searchable servers (s), never by a lookup per matching document.
   */
  private blendedStatement(query: KeywordQuery, blend: Blend): SqlStatement {
    const servers = this.serverFilter(query);
    const toolWeights = this.weights("tool", query.fieldWeights);
    const serverWeights = this.weights("server", blend.serverFieldWeights);
    return this.pageStatement(
      query,
      `WITH s AS MATERIALIZED (${servers.sql}),
       t AS MATERIALIZED (
         SELECT rowid AS rid, rowid >> ${ORDINAL_BITS} AS skey, -bm25(search_tools_fts, ${toolWeights}) AS s
         FROM search_tools_fts
         WHERE search_tools_fts MATCH ? AND (rowid >> ${ORDINAL_BITS}) IN (SELECT key FROM s)
       ),
       v AS MATERIALIZED (
         SELECT rowid >> ${ORDINAL_BITS} AS skey, -bm25(search_servers_fts, ${serverWeights}) AS s
         FROM search_servers_fts
         WHERE search_servers_fts MATCH ? AND (rowid >> ${ORDINAL_BITS}) IN (SELECT key FROM s)
       ),
       m AS (SELECT (SELECT max(s) FROM t) AS t_best, (SELECT max(s) FROM v) AS v_best)
       SELECT t.rid AS rid, t.s / m.t_best + ${number(blend.serverWeight)} * coalesce(v.s / m.v_best, 0) AS score
       FROM t CROSS JOIN m LEFT JOIN v ON v.skey = t.skey`,
      [...servers.values, this.expression(query, "tool", query.onlyFields), this.expression(query, "server")],
    );
  }

  /** The MATCH expression, restricted to some columns when asked. */
  private expression(query: KeywordQuery, kind: DocumentKind, onlyFields?: FieldName[]): string {
    const { fields } = COLUMNS[kind];
    const expression = weightedExpression(query.terms);
    if (!onlyFields || onlyFields.length === 0) return expression;
    const columns = onlyFields.filter((field) => fields.includes(field)).map((field) => `f_${field}`);
    return `{${columns.join(" ")}} : (${expression})`;
  }

  private weights(kind: DocumentKind, fieldWeights: KeywordQuery["fieldWeights"]): string {
    return COLUMNS[kind].fields.map((field) => number(fieldWeights?.[field] ?? 1)).join(", ");
  }

  /** Keys of the servers a query may return documents of: its tenant's enabled servers, narrowed by its filters. */
  private serverFilter(query: KeywordQuery): { sql: string; values: unknown[] } {
    const conditions = ["tenant = ?", "enabled = 1"];
    const values: unknown[] = [query.tenant];
    if (query.serverPath !== undefined) {
      conditions.push("path = ?");
      values.push(query.serverPath);
    }
    if (query.tag !== undefined) {
      conditions.push("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)");
      values.push(query.tag);
    }
    return { sql: `SELECT key FROM search_servers WHERE ${conditions.join(" AND ")}`, values };
  }

  async documents(tenant: string, ids: string[], terms: string[] = []): Promise<DescribedDocument[]> {
    if (ids.length === 0) return [];
    const statements = chunks(ids, ID_CHUNK).map((chunk) =>
      this.db
        .prepare(
          `SELECT ${DOCUMENT_COLUMNS}, ${FIELD_COLUMNS}
           FROM json_each(?) j CROSS JOIN search_documents d ON d.id = j.value
           WHERE d.tenant = ?`,
        )
        .bind(JSON.stringify(chunk), tenant),
    );
    const results = await this.db.batch<DocumentRow & FieldRow>(statements);
    const stems = new Set(terms.map((term) => porterStem(term)));
    return results.flatMap((result) =>
      result.results.map((row) => ({
        ...fromRow(row),
        matchedFields: stems.size === 0 ? [] : matchedFields(row, stems),
      })),
    );
  }

  async contentHashes(tenant: string, serverId: string): Promise<Map<string, string>> {
    const { results } = await this.db
      .prepare("SELECT id, content_hash FROM search_documents WHERE tenant = ? AND server_id = ?")
      .bind(tenant, serverId)
      .all<{ id: string; content_hash: string }>();
    return new Map(results.map((row) => [row.id, row.content_hash]));
  }
}
