// Storage port for security findings (worker/security/). A server's findings
// are always replaced whole, so they describe its current catalog.
import type { Finding, Severity } from "./finding-model.ts";

export interface StoredFinding extends Finding {
  id: number;
  tenant: string;
  serverId: string;
  kind: string;
  key: string;
  analyzer: string;
  entryFingerprint: string;
  foundAt: string;
}

export type NewFinding = Omit<StoredFinding, "id">;

export interface FindingQuery {
  serverId?: string;
  /** Only these servers (the caller's visible ones); empty: nothing. */
  serverIds?: string[];
  minSeverity?: Severity;
  category?: string;
  ruleId?: string;
  kind?: string;
  limit: number;
  /** Opaque: the last id of the previous page. */
  cursor?: string;
}

export interface FindingPage {
  items: StoredFinding[];
  nextCursor: string | null;
}

export class InvalidFindingCursorError extends Error {}

export interface FindingStore {
  replaceForServer(tenant: string, serverId: string, findings: NewFinding[]): Promise<void>;
  list(tenant: string, query: FindingQuery): Promise<FindingPage>;
}
