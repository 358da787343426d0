// VectorIndex for local runs and self-hosting: vectors in a SQLite/D1 table,
// exact cosine k-NN in the isolate. Each isolate keeps a tenant's vectors in
// memory (normalised, one Float32Array) and reloads them when the tenant's
// revision counter has moved, which costs one single-row read per query.
// Fine for tens of thousands of vectors; Vectorize is the production choice.
import type { SqlDatabase } from "./fts5-keyword-index.ts";
import type { VectorIndex, VectorMatch, VectorRecord } from "./ports.ts";

interface Loaded {
  revision: number;
  ids: string[];
  dimensions: number;
  /** Row-major, each row of unit length. */
  matrix: Float32Array;
}

const UPSERT_CHUNK = 50;
const ID_CHUNK = 500;

function normalise(values: ArrayLike<number>): Float32Array {
  const vector = Float32Array.from(values);
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

/**
 * Vectors are stored as base64 of little-endian float32, as text: rows then
 * travel inside one JSON parameter per chunk (D1 caps bound parameters and
 * statements per request), and every SQLite driver reads them back alike.
 */
function encodeVector(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] as number, true);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function decodeVector(encoded: string, dimensions: number, into: Float32Array, offset: number): void {
  const binary = atob(encoded);
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  for (let i = 0; i < dimensions; i++) into[offset + i] = view.getFloat32(i * 4, true);
}

export class LocalVectorIndex implements VectorIndex {
  private readonly db: SqlDatabase;
  private readonly model: string;
  private readonly cache = new Map<string, Loaded>();

  /** `model` names the vector space: rows of another model are ignored. */
  constructor(db: SqlDatabase, model: string) {
    this.db = db;
    this.model = model;
  }

  async upsert(tenant: string, records: VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    for (const record of records) {
      if (record.values.length === 0 || record.values.some((value) => !Number.isFinite(value))) {
        throw new RangeError(`vector ${record.id} must be a non-empty list of finite numbers`);
      }
    }
    const statements = [];
    for (let start = 0; start < records.length; start += UPSERT_CHUNK) {
      const rows = records.slice(start, start + UPSERT_CHUNK).map((record) => ({
        id: record.id,
        dimensions: record.values.length,
        vector: encodeVector(normalise(record.values)),
      }));
      statements.push(
        this.db
          .prepare(
            `INSERT INTO search_vectors (id, tenant, model, dimensions, vector)
             SELECT json_extract(value, '$.id'), ?, ?, json_extract(value, '$.dimensions'), json_extract(value, '$.vector')
             FROM json_each(?) WHERE true
             ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, model = excluded.model,
               dimensions = excluded.dimensions, vector = excluded.vector`,
          )
          .bind(tenant, this.model, JSON.stringify(rows)),
      );
    }
    statements.push(this.bump(tenant));
    await this.db.batch(statements);
  }

  async remove(tenant: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const statements = [];
    for (let start = 0; start < ids.length; start += ID_CHUNK) {
      statements.push(
        this.db
          .prepare("DELETE FROM search_vectors WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))")
          .bind(tenant, JSON.stringify(ids.slice(start, start + ID_CHUNK))),
      );
    }
    statements.push(this.bump(tenant));
    await this.db.batch(statements);
  }

  async query(tenant: string, vector: number[], topK: number): Promise<VectorMatch[]> {
    const loaded = await this.load(tenant);
    if (loaded.ids.length === 0 || vector.length !== loaded.dimensions) return [];
    const query = normalise(vector);
    const { matrix, dimensions, ids } = loaded;
    const scores = new Float32Array(ids.length);
    for (let row = 0; row < ids.length; row++) {
      let dot = 0;
      const offset = row * dimensions;
      for (let i = 0; i < dimensions; i++) dot += (matrix[offset + i] as number) * (query[i] as number);
      scores[row] = dot;
    }
    const order = Array.from(ids.keys()).sort((a, b) => (scores[b] as number) - (scores[a] as number));
    return order
      .slice(0, Math.max(0, topK))
      .map((row) => ({ id: ids[row] as string, score: scores[row] as number }));
  }

  private bump(tenant: string) {
    return this.db
      .prepare(
        `INSERT INTO search_vector_revisions (tenant, revision) VALUES (?, 1)
         ON CONFLICT (tenant) DO UPDATE SET revision = revision + 1`,
      )
      .bind(tenant);
  }

  private async load(tenant: string): Promise<Loaded> {
    const { results } = await this.db
      .prepare("SELECT revision FROM search_vector_revisions WHERE tenant = ?")
      .bind(tenant)
      .all<{ revision: number }>();
    const revision = results[0]?.revision ?? 0;
    const cached = this.cache.get(tenant);
    if (cached && cached.revision === revision) return cached;

    const rows = await this.db
      .prepare("SELECT id, dimensions, vector FROM search_vectors WHERE tenant = ? AND model = ? ORDER BY id")
      .bind(tenant, this.model)
      .all<{ id: string; dimensions: number; vector: string }>();
    // The most common dimension wins; a stray row of another size is skipped.
    const counts = new Map<number, number>();
    for (const row of rows.results) counts.set(row.dimensions, (counts.get(row.dimensions) ?? 0) + 1);
    const dimensions = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
    const usable = rows.results.filter((row) => row.dimensions === dimensions);
    const matrix = new Float32Array(usable.length * dimensions);
    for (const [index, row] of usable.entries())
      decodeVector(row.vector, dimensions, matrix, index * dimensions);
    const loaded: Loaded = { revision, ids: usable.map((row) => row.id), dimensions, matrix };
    this.cache.set(tenant, loaded);
    return loaded;
  }
}
