// Keeps the search index in step with the registry. As a RegistryObserver it
// rebuilds a server's documents after every committed change (idempotent:
// the index ends up holding exactly what the record and catalog say), and
// `reindex` does the same for a whole tenant and drops what no longer exists.
// Embeddings are computed only for documents whose text changed.
import type { RegistryObserver } from "../registry/server-service.ts";
import type { CatalogEntry, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import { buildDocuments } from "./documents.ts";
import type { KeywordIndex, SearchDocument } from "./ports.ts";
import type { RankingSettings } from "./ranking.ts";
import type { VectorSearch } from "./search-service.ts";

export interface SearchIndexerOptions {
  store: RegistryStore;
  keyword: KeywordIndex;
  vectors: VectorSearch | null;
  settings: RankingSettings;
}

export interface ReindexReport {
  servers: number;
  documents: number;
  /** Servers whose documents were dropped because the server no longer exists. */
  removedServers: number;
  embedded: number;
}

const PAGE = 100;

export class SearchIndexer implements RegistryObserver {
  private readonly options: SearchIndexerOptions;

  constructor(options: SearchIndexerOptions) {
    this.options = options;
  }

  async serverSaved(server: ServerRecord, catalog?: CatalogEntry[]): Promise<void> {
    await this.index(server, catalog, false);
  }

  async serverDeleted(tenant: string, id: string): Promise<void> {
    const ids = this.options.vectors
      ? [...(await this.options.keyword.contentHashes(tenant, id)).keys()]
      : [];
    await this.options.keyword.removeServer(tenant, id);
    if (this.options.vectors && ids.length > 0) await this.options.vectors.index.remove(tenant, ids);
  }

  /** Rebuilds every server of the tenant (embedding everything again) and drops orphans. */
  async reindex(tenant: string): Promise<ReindexReport> {
    const report: ReindexReport = { servers: 0, documents: 0, removedServers: 0, embedded: 0 };
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.options.store.listServers(tenant, { limit: PAGE, cursor });
      for (const server of page.items) {
        seen.add(server.id);
        const { documents, embedded } = await this.index(server, undefined, true);
        report.servers += 1;
        report.documents += documents;
        report.embedded += embedded;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const serverId of await this.options.keyword.serverIds(tenant)) {
      if (seen.has(serverId)) continue;
      await this.serverDeleted(tenant, serverId);
      report.removedServers += 1;
    }
    return report;
  }

  private async index(
    server: ServerRecord,
    catalog: CatalogEntry[] | undefined,
    embedAll: boolean,
  ): Promise<{ documents: number; embedded: number }> {
    const { keyword, vectors, store, settings } = this.options;
    const entries = catalog ?? (await store.listCatalog(server.tenant, server.id, "tool"));
    const documents = await buildDocuments(server, entries, settings);
    const previous = vectors
      ? await keyword.contentHashes(server.tenant, server.id)
      : new Map<string, string>();
    await keyword.replaceServer(server.tenant, server.id, documents);
    if (!vectors) return { documents: documents.length, embedded: 0 };
    const embedded = await this.syncVectors(vectors, server.tenant, documents, previous, embedAll);
    return { documents: documents.length, embedded };
  }

  private async syncVectors(
    vectors: VectorSearch,
    tenant: string,
    documents: SearchDocument[],
    previous: Map<string, string>,
    embedAll: boolean,
  ): Promise<number> {
    const current = new Set(documents.map((document) => document.id));
    const gone = [...previous.keys()].filter((id) => !current.has(id));
    if (gone.length > 0) await vectors.index.remove(tenant, gone);
    const changed = documents.filter(
      (document) => embedAll || previous.get(document.id) !== document.contentHash,
    );
    if (changed.length === 0) return 0;
    const embeddings = await vectors.embedder.embed(changed.map((document) => document.embeddingText));
    await vectors.index.upsert(
      tenant,
      changed.map((document, index) => ({ id: document.id, values: embeddings[index] ?? [] })),
    );
    return changed.length;
  }
}
