// What changed between two reads of a server's catalog, by fingerprint: entries
// added, removed, or changed (same key, different fingerprint). Pure.
import type { CatalogEntry, CatalogKind } from "../store/registry-store.ts";

export interface CatalogChange {
  kind: CatalogKind;
  key: string;
  change: "added" | "removed" | "changed";
  /** Fingerprint before the change (absent when added). */
  before?: string;
  /** Fingerprint after the change (absent when removed). */
  after?: string;
}

/** Changes in a stable order: by kind, then key. */
export function diffCatalog(before: CatalogEntry[], after: CatalogEntry[]): CatalogChange[] {
  const old = new Map(before.map((entry) => [identity(entry), entry]));
  const changes: CatalogChange[] = [];
  for (const entry of after) {
    const previous = old.get(identity(entry));
    old.delete(identity(entry));
    if (!previous) {
      changes.push({ kind: entry.kind, key: entry.key, change: "added", after: entry.fingerprint });
    } else if (previous.fingerprint !== entry.fingerprint) {
      changes.push({
        kind: entry.kind,
        key: entry.key,
        change: "changed",
        before: previous.fingerprint,
        after: entry.fingerprint,
      });
    }
  }
  for (const entry of old.values()) {
    changes.push({ kind: entry.kind, key: entry.key, change: "removed", before: entry.fingerprint });
  }
  return changes.sort((a, b) => (a.kind === b.kind ? compare(a.key, b.key) : compare(a.kind, b.kind)));
}

function identity(entry: CatalogEntry): string {
  return `${entry.kind}\u0000${entry.key}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
