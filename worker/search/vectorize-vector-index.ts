// VectorIndex on Cloudflare Vectorize (production). One namespace per tenant,
// cosine metric (create the index with `--metric cosine` and the embedder's
// dimensions). Vectorize applies writes asynchronously (a mutation id comes
// back at once, the change is visible seconds later), so query results may
// name removed documents for a while; the search service checks every match
// against the keyword index's documents before using it.
import { SearchBackendError, type VectorIndex, type VectorMatch, type VectorRecord } from "./ports.ts";

/**
 * The part of the Vectorize binding this adapter uses (both the current
 * `Vectorize` and the older `VectorizeIndex` types have it).
 */
export interface VectorizeBinding {
  upsert(vectors: { id: string; values: number[]; namespace?: string }[]): Promise<unknown>;
  deleteByIds(ids: string[]): Promise<unknown>;
  query(
    vector: number[],
    options: {
      topK?: number;
      namespace?: string;
      returnValues?: boolean;
      returnMetadata?: boolean | "all" | "indexed" | "none";
    },
  ): Promise<{ matches: { id: string; score: number }[]; count: number }>;
}

/** Vectorize limits (developers.cloudflare.com/vectorize/platform/limits). */
export const VECTORIZE_LIMITS = {
  /** Vectors per upsert from a Worker. */
  upsertBatch: 1000,
  /** topK without values or metadata. */
  maxTopK: 100,
  maxIdBytes: 64,
  maxNamespaceBytes: 64,
} as const;

const DELETE_BATCH = 1000;

/** `VECTOR_QUERY_ERROR (code = 40025): ...` → 40025. */
function errorCode(error: unknown): number | null {
  const match = /\(code = (\d+)\)/.exec(error instanceof Error ? error.message : String(error));
  return match ? Number(match[1]) : null;
}

function wrap(operation: string, error: unknown): SearchBackendError {
  const code = errorCode(error);
  // 4xxxx codes are requests Vectorize refuses as given; anything else may pass later.
  const retryable = code === null || code < 40000 || code >= 50000;
  const message = error instanceof Error ? error.message : String(error);
  return new SearchBackendError("vectorize", `${operation} failed: ${message}`, { retryable, cause: error });
}

const encoder = new TextEncoder();

function checkNamespace(tenant: string): void {
  if (encoder.encode(tenant).byteLength > VECTORIZE_LIMITS.maxNamespaceBytes) {
    throw new SearchBackendError(
      "vectorize",
      `tenant "${tenant}" is longer than a Vectorize namespace may be`,
    );
  }
}

export class VectorizeVectorIndex implements VectorIndex {
  private readonly binding: VectorizeBinding;

  constructor(binding: VectorizeBinding) {
    this.binding = binding;
  }

  async upsert(tenant: string, records: VectorRecord[]): Promise<void> {
    checkNamespace(tenant);
    for (const record of records) {
      if (encoder.encode(record.id).byteLength > VECTORIZE_LIMITS.maxIdBytes) {
        throw new SearchBackendError("vectorize", `vector id "${record.id}" exceeds 64 bytes`);
      }
    }
    for (let start = 0; start < records.length; start += VECTORIZE_LIMITS.upsertBatch) {
      const batch = records
        .slice(start, start + VECTORIZE_LIMITS.upsertBatch)
        .map((record) => ({ id: record.id, values: record.values, namespace: tenant }));
      try {
        await this.binding.upsert(batch);
      } catch (error) {
        throw wrap("upsert", error);
      }
    }
  }

  /**
   * Vector ids are global in an index; ours are hashes of the server id (a
   * UUID) and tool name, so they never collide across tenants.
   */
  async remove(_tenant: string, ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += DELETE_BATCH) {
      try {
        await this.binding.deleteByIds(ids.slice(start, start + DELETE_BATCH));
      } catch (error) {
        throw wrap("delete", error);
      }
    }
  }

  async query(tenant: string, vector: number[], topK: number): Promise<VectorMatch[]> {
    checkNamespace(tenant);
    const k = Math.max(1, Math.min(topK, VECTORIZE_LIMITS.maxTopK));
    try {
      const result = await this.binding.query(vector, {
        topK: k,
        namespace: tenant,
        returnValues: false,
        returnMetadata: "none",
      });
      return result.matches.map((match) => ({ id: match.id, score: match.score }));
    } catch (error) {
      throw wrap("query", error);
    }
  }
}
