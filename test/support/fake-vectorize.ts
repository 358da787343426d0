// A fake of a Vectorize (V2) index binding reproducing its recorded shapes:
// `upsert`/`deleteByIds` resolve at once to `{ mutationId }` while the change
// becomes visible only later (here: on `applyPending()`), `query` resolves to
// `{ matches: [{ id, score }], count }` with cosine scores, and a topK above
// the limit rejects with `VECTOR_QUERY_ERROR (code = 40025): max top K is
// 100, but got N` (limits: developers.cloudflare.com/vectorize/platform/limits).

type Mutation =
  | { kind: "upsert"; vectors: { id: string; values: number[]; namespace?: string }[] }
  | { kind: "delete"; ids: string[] };

interface Stored {
  values: number[];
  namespace: string | undefined;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export class FakeVectorize {
  private readonly visible = new Map<string, Stored>();
  private readonly pending: Mutation[] = [];
  private counter = 0;

  /** `dimensions` of the index (fixed when it is created, as in Vectorize). */
  constructor(private readonly dimensions: number) {}

  async upsert(vectors: { id: string; values: number[]; namespace?: string }[]) {
    if (vectors.length > 1000)
      throw new Error("VECTOR_UPSERT_ERROR: too many vectors in one batch (max 1000)");
    for (const vector of vectors) {
      // Message shape not recorded; the real API refuses mismatched dimensions too.
      if (vector.values.length !== this.dimensions) {
        throw new Error(
          `VECTOR_UPSERT_ERROR: vector ${vector.id} has ${vector.values.length} dimensions, the index ${this.dimensions}`,
        );
      }
    }
    this.pending.push({ kind: "upsert", vectors: vectors.map((vector) => ({ ...vector })) });
    return { mutationId: `mutation-${++this.counter}` };
  }

  async deleteByIds(ids: string[]) {
    this.pending.push({ kind: "delete", ids: [...ids] });
    return { mutationId: `mutation-${++this.counter}` };
  }

  async query(
    vector: number[],
    options: { topK?: number; namespace?: string; returnValues?: boolean; returnMetadata?: unknown } = {},
  ) {
    const topK = options.topK ?? 5;
    const limit =
      options.returnValues || (options.returnMetadata && options.returnMetadata !== "none") ? 20 : 100;
    if (topK > limit)
      throw new Error(`VECTOR_QUERY_ERROR (code = 40025): max top K is ${limit}, but got ${topK}`);
    const matches = [...this.visible.entries()]
      .filter(([, stored]) => stored.namespace === options.namespace)
      .map(([id, stored]) => ({ id, score: cosine(vector, stored.values) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, topK);
    return { matches, count: matches.length };
  }

  /** Applies queued mutations, as Vectorize does a few seconds after a write. */
  applyPending(): void {
    for (const mutation of this.pending.splice(0)) {
      if (mutation.kind === "delete") {
        for (const id of mutation.ids) this.visible.delete(id);
      } else {
        for (const vector of mutation.vectors) {
          this.visible.set(vector.id, { values: vector.values, namespace: vector.namespace });
        }
      }
    }
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}
