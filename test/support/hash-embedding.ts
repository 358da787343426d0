// A deterministic stand-in for an embedding model, shared by the fake Workers
// AI binding and the loopback OpenAI-compatible server: each lower-cased word
// is hashed into one of `dimensions` buckets (with a sign), and the vector is
// L2-normalised. Texts that share words point the same way, which is all the
// contract and service tests need from "semantics".

export const HASH_EMBEDDING_DIMENSIONS = 64;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function hashEmbedding(text: string, dimensions = HASH_EMBEDDING_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const hash = fnv1a(word);
    const bucket = hash % dimensions;
    vector[bucket] = (vector[bucket] ?? 0) + (hash & 0x80000000 ? -1 : 1);
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  // An empty text still gets a (unit) vector, as real models return one.
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((value) => value / norm);
}
