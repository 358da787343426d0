// Storage port for federation sources: the registries this gateway imports
// servers from, and the report of each source's last sync. Imported servers
// themselves live in the registry (RegistryStore, with their provenance).

export type SyncOutcome = "imported" | "updated" | "unchanged" | "deleted" | "skipped";

export interface SyncEntryReport {
  /** The entry's name in the source registry ("" when it had none). */
  name: string;
  version: string | null;
  outcome: SyncOutcome;
  /** Why an entry was skipped (or what went wrong reading its catalog). */
  reason: string | null;
  serverId: string | null;
}

export interface SyncReport {
  startedAt: string;
  finishedAt: string;
  /** ok: every entry handled; partial: some skipped; failed: the source could not be read. */
  status: "ok" | "partial" | "failed";
  /** Why the source could not be read (status failed). */
  error: string | null;
  trigger: "manual" | "scheduled";
  counts: Record<SyncOutcome, number> & { seen: number };
  /** One line per entry (at most MAX_REPORTED_ENTRIES; counts cover all). */
  entries: SyncEntryReport[];
}

export const MAX_REPORTED_ENTRIES = 500;

export interface FederationSource {
  id: string;
  tenant: string;
  name: string;
  /** Base URL of a registry speaking the MCP Registry API (`{url}/v0.1/servers`). */
  url: string;
  /** all: every server of the source; selected: only the names in `servers`. */
  mode: "all" | "selected";
  servers: string[];
  /** null: synchronised only on request. */
  syncIntervalMinutes: number | null;
  /** Names the secret holding a bearer token for the source (and for its servers' endpoints). */
  auth: { secret: string } | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lastSyncAt: string | null;
  lastSync: SyncReport | null;
}

export class DuplicateSourceNameError extends Error {
  override readonly name = "DuplicateSourceNameError";
}

export interface FederationStore {
  /** Throws DuplicateSourceNameError when the tenant has a source of that name. */
  insert(source: FederationSource): Promise<void>;
  get(tenant: string, id: string): Promise<FederationSource | null>;
  list(tenant: string): Promise<FederationSource[]>;
  delete(tenant: string, id: string): Promise<boolean>;
  /** Records a finished sync; false when the source is gone. */
  recordSync(tenant: string, id: string, report: SyncReport): Promise<boolean>;
  /** Sources of every tenant that sync on a schedule (the Cron Trigger picks the due ones). */
  listScheduled(): Promise<FederationSource[]>;
}
