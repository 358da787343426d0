// Hybrid search over tools and servers. Keyword side: the analysed query runs
// against the FTS5 index as three rankings in one round trip (tools by all
// fields, tools by name only, servers), blended into one tool score (the
// two-stage part: a tool inherits part of its server's score). Vector side,
// when an embedder is configured: k-NN over document embeddings, every match
// checked against the stored documents (so a lagging vector index never
// surfaces a deleted or disabled tool). The two are fused by weighted
// reciprocal rank. The caller's permission predicate runs on candidates
// before the list is cut; when it hides many, more candidates are read.
import { observeDiscovery } from "../observability/hooks.ts";
import { analyseQuery } from "./analysis.ts";
import { reciprocalRankFusion } from "./fusion.ts";
import { SYNONYMS } from "./lexicon.ts";
import {
  type Blend,
  type DescribedDocument,
  type DocumentKind,
  type DocumentRef,
  type Embedder,
  type FieldName,
  type KeywordHit,
  type KeywordIndex,
  type KeywordQuery,
  SearchBackendError,
  type VectorIndex,
  type WeightedTerm,
} from "./ports.ts";
import { type RankingSettings, serverFieldWeights, toolFieldWeights } from "./ranking.ts";

export const MAX_SEARCH_LIMIT = 50;
/** The most candidates read per ranking when the permission predicate hides many. */
const MAX_WINDOW = 3_200;
const WINDOW_GROWTH = 4;
/** Text beyond this is ignored (the REST API refuses queries over 1,000 characters). */
const MAX_ANALYSED_CHARS = 10_000;

/** What the permission predicate sees of a hit. */
export interface SearchHitRef {
  serverId: string;
  serverPath: string;
  kind: DocumentKind;
  /** Tool name, or server name for servers. */
  name: string;
}

/** True when the caller may see the hit. Runs before ranking is cut. */
export type SearchPermission = (hit: SearchHitRef) => boolean;

export interface SearchRequest {
  tenant: string;
  query: string;
  /** Default: tools and servers. */
  types?: DocumentKind[];
  tag?: string;
  /** Server path. */
  server?: string;
  limit: number;
  allow: SearchPermission;
}

export type MatchSource = "keyword" | "vector";

export interface SearchResultItem {
  kind: DocumentKind;
  id: string;
  name: string;
  title: string | null;
  description: string;
  serverId: string;
  serverPath: string;
  serverName: string;
  tags: string[];
  /** Tools only. */
  inputSchema: Record<string, unknown> | null;
  /** Higher is better; comparable within one response only. */
  score: number;
  /** Fields in which a query term (or an equivalent word) occurs. */
  matchedFields: FieldName[];
  matchedBy: MatchSource[];
}

export interface SearchOutcome {
  /** `keyword` when no embedder is configured (or the vector side failed: see `notice`). */
  mode: "keyword" | "hybrid";
  /** The query's search terms after analysis (before synonym expansion). */
  terms: string[];
  results: SearchResultItem[];
  notice?: string;
  timings: { keywordMs: number; vectorMs: number; totalMs: number };
}

export interface VectorSearch {
  embedder: Embedder;
  index: VectorIndex;
}

export interface SearchServiceOptions {
  keyword: KeywordIndex;
  /** Null: keyword search only. */
  vectors: VectorSearch | null;
  settings: RankingSettings;
  /** Milliseconds, for timings. */
  clock?: () => number;
}

interface Candidate {
  document: DocumentRef;
  score: number;
  /** Present when the ranking already carried the whole document. */
  described?: DescribedDocument;
}

export class SearchService {
  private readonly options: SearchServiceOptions;
  private readonly clock: () => number;

  constructor(options: SearchServiceOptions) {
    this.options = options;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** `keyword` or `hybrid`: what a search does when everything works. */
  get mode(): "keyword" | "hybrid" {
    return this.options.vectors ? "hybrid" : "keyword";
  }

  /** Counted and traced as a discovery query (mcp_tool_discovery_total, a `search` span). */
  search(request: SearchRequest): Promise<SearchOutcome> {
    const type = request.types && request.types.length > 0 ? [...request.types].sort().join(",") : "all";
    return observeDiscovery(request.tenant, type, () => this.run(request));
  }

  private async run(request: SearchRequest): Promise<SearchOutcome> {
    const started = this.clock();
    const { settings } = this.options;
    const types = request.types && request.types.length > 0 ? request.types : (["tool", "server"] as const);
    const limit = Math.max(1, Math.min(request.limit, MAX_SEARCH_LIMIT));
    const features = settings.features;
    // Callers other than the REST route (e.g. MCP tools) may pass anything; analysis is bounded anyway.
    const analysed = analyseQuery(request.query.slice(0, MAX_ANALYSED_CHARS), {
      splitIdentifiers: features.has("identifiers"),
      stopWords: features.has("stopwords"),
      entities: features.has("entities"),
      synonyms: features.has("synonyms") ? SYNONYMS : null,
      ownTermWeight: features.has("term-weights") ? 2 : 1,
    });

    // The keyword and vector sides run side by side.
    const keywordStarted = this.clock();
    const keywordSide = this.keywordRanking(request, analysed.terms, [...types], limit).then((list) => ({
      list,
      ms: this.clock() - keywordStarted,
    }));
    const vectorSide = this.vectorSide(request, [...types]);
    const [keyword, vector] = await Promise.all([keywordSide, vectorSide]);
    const keywordList = keyword.list;
    const keywordMs = keyword.ms;
    const { list: vectorList, ms: vectorMs, notice } = vector;
    const mode: SearchOutcome["mode"] = vector.used ? "hybrid" : "keyword";

    const ranked =
      mode === "hybrid"
        ? reciprocalRankFusion(
            [
              { items: keywordList, weight: settings.keywordWeight },
              { items: vectorList, weight: settings.vectorWeight },
            ],
            (candidate) => candidate.document.id,
            settings.rrfK,
          ).map(({ item, score }) => ({ ...item, score }))
        : keywordList;
    const top = ranked.slice(0, limit);

    // Only the results that made the cut are read whole, with their matched fields.
    const keywordIds = new Set(keywordList.map((candidate) => candidate.document.id));
    const vectorIds = new Set(vectorList.map((candidate) => candidate.document.id));
    const byId = new Map<string, DescribedDocument>();
    for (const candidate of top)
      if (candidate.described) byId.set(candidate.document.id, candidate.described);
    const missing = top.filter((candidate) => !byId.has(candidate.document.id));
    if (missing.length > 0) {
      const described = await this.options.keyword.documents(
        request.tenant,
        missing.map((candidate) => candidate.document.id),
        analysed.terms.map((term) => term.term),
      );
      for (const document of described) byId.set(document.id, document);
    }
    const results: SearchResultItem[] = [];
    for (const { document: ref, score } of top) {
      const document = byId.get(ref.id);
      // Removed or disabled between the ranking and this read: leave it out.
      if (!document?.enabled) continue;
      const matchedBy: MatchSource[] = [];
      if (keywordIds.has(ref.id)) matchedBy.push("keyword");
      if (vectorIds.has(ref.id)) matchedBy.push("vector");
      results.push(toResult(document, score, matchedBy));
    }
    const outcome: SearchOutcome = {
      mode,
      terms: analysed.ownTerms,
      results,
      timings: { keywordMs, vectorMs, totalMs: this.clock() - started },
    };
    if (notice) outcome.notice = notice;
    return outcome;
  }

  /** The vector ranking when an embedder is configured; a failing backend degrades to keyword search. */
  private async vectorSide(
    request: SearchRequest,
    types: DocumentKind[],
  ): Promise<{ list: Candidate[]; ms: number; used: boolean; notice?: string }> {
    const started = this.clock();
    const { vectors } = this.options;
    if (!vectors || request.query.trim() === "") return { list: [], ms: 0, used: false };
    try {
      const list = await this.vectorRanking(vectors, request, types);
      return { list, ms: this.clock() - started, used: true };
    } catch (error) {
      if (!(error instanceof SearchBackendError)) throw error;
      console.error(JSON.stringify({ level: "error", event: "vector_search_failed", error: error.message }));
      return {
        list: [],
        ms: this.clock() - started,
        used: false,
        notice: "Semantic search is unavailable right now; these are keyword results only.",
      };
    }
  }

  /**
   * Tools (two-stage score) and servers, permission-filtered, merged when both
   * are asked for. Reads more candidates while the predicate leaves fewer than
   * `limit` of a kind and the index has more.
   */
  private async keywordRanking(
    request: SearchRequest,
    terms: WeightedTerm[],
    types: DocumentKind[],
    limit: number,
  ): Promise<Candidate[]> {
    if (terms.length === 0) return [];
    // Fusion with the vector ranking wants depth; keyword search alone needs
    // only the page (more is read below when the predicate hides some).
    let window = this.options.vectors ? this.options.settings.candidates : limit;
    for (;;) {
      const { tools, servers, exhausted } = await this.keywordWindow(request, terms, types, window);
      const allowedTools = tools.filter((candidate) => allowed(request, candidate.document));
      const allowedServers = servers.filter((candidate) => allowed(request, candidate.document));
      const short =
        (types.includes("tool") && allowedTools.length < limit) ||
        (types.includes("server") && allowedServers.length < limit);
      if (!short || exhausted || window >= MAX_WINDOW) {
        if (types.length === 1) return types[0] === "tool" ? allowedTools : allowedServers;
        return reciprocalRankFusion(
          [
            { items: allowedTools, weight: 1 },
            { items: allowedServers, weight: 1 },
          ],
          (candidate) => candidate.document.id,
          this.options.settings.rrfK,
        ).map(({ item, score }) => ({ ...item, score }));
      }
      window = Math.min(window * WINDOW_GROWTH, MAX_WINDOW);
    }
  }

  private async keywordWindow(
    request: SearchRequest,
    terms: WeightedTerm[],
    types: DocumentKind[],
    window: number,
  ): Promise<{ tools: Candidate[]; servers: Candidate[]; exhausted: boolean }> {
    const { settings } = this.options;
    const features = settings.features;
    const base = {
      tenant: request.tenant,
      terms,
      tag: request.tag,
      serverPath: request.server,
      limit: window,
      // Keyword search alone reads its few candidates whole in the same round trip.
      withDocuments: !this.options.vectors,
    };
    const wantTools = types.includes("tool");
    const wantServers = types.includes("server");
    const queries: KeywordQuery[] = [];
    if (wantTools) {
      const blend: Blend = {
        serverWeight: settings.serverBoost,
        serverFieldWeights: serverFieldWeights(settings),
      };
      const twoStage = features.has("two-stage") && settings.serverBoost > 0;
      queries.push({
        ...base,
        kind: "tool",
        fieldWeights: toolFieldWeights(settings),
        ...(twoStage ? { blend } : {}),
      });
    }
    if (wantServers) queries.push({ ...base, kind: "server", fieldWeights: serverFieldWeights(settings) });
    const results = await this.options.keyword.search(queries);
    const toolHits = wantTools ? (results[0] ?? []) : [];
    const serverHits = wantServers ? (results[wantTools ? 1 : 0] ?? []) : [];
    return {
      tools: normalised(toolHits),
      servers: normalised(serverHits),
      exhausted: results.every((hits) => hits.length < window),
    };
  }

  /** Nearest documents by embedding, each confirmed to exist, be enabled and pass the filters now. */
  private async vectorRanking(
    vectors: VectorSearch,
    request: SearchRequest,
    types: DocumentKind[],
  ): Promise<Candidate[]> {
    const [vector] = await vectors.embedder.embed([request.query.trim()]);
    if (!vector) return [];
    const matches = await vectors.index.query(
      request.tenant,
      vector,
      Math.min(this.options.settings.candidates, 100),
    );
    const documents = await this.options.keyword.documents(
      request.tenant,
      matches.map((match) => match.id),
    );
    const byId = new Map(documents.map((document) => [document.id, document]));
    const candidates: Candidate[] = [];
    for (const match of matches) {
      const document = byId.get(match.id);
      if (!document?.enabled || !types.includes(document.kind)) continue;
      if (request.server !== undefined && document.serverPath !== request.server) continue;
      if (request.tag !== undefined && !document.tags.includes(request.tag)) continue;
      if (!allowed(request, document)) continue;
      candidates.push({ document, score: match.score });
    }
    return candidates;
  }
}

function allowed(request: SearchRequest, document: DocumentRef): boolean {
  return request.allow({
    serverId: document.serverId,
    serverPath: document.serverPath,
    kind: document.kind,
    name: document.name,
  });
}

/** Scores divided by the best one (so rankings of different queries can be blended). */
function normalised(hits: KeywordHit[]): Candidate[] {
  const best = hits[0]?.score ?? 0;
  return hits.map((hit) => ({
    document: hit.document,
    score: best > 0 ? hit.score / best : 0,
    ...(hit.described ? { described: hit.described } : {}),
  }));
}

function toResult(document: DescribedDocument, score: number, matchedBy: MatchSource[]): SearchResultItem {
  return {
    kind: document.kind,
    id: document.id,
    name: document.name,
    title: document.title,
    description: document.description,
    serverId: document.serverId,
    serverPath: document.serverPath,
    serverName: document.serverName,
    tags: document.tags,
    inputSchema: document.kind === "tool" ? document.inputSchema : null,
    score: Math.round(score * 1e6) / 1e6,
    matchedFields: document.matchedFields,
    matchedBy,
  };
}
