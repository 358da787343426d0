// Text analysis shared by indexing and querying: identifier splitting
// (camelCase, snake_case, kebab-case), CJK bigrams, stop words, and the one
// function that turns user text into an FTS5 expression. User text never
// reaches MATCH as syntax: only quoted bare words built here do.
// Pure functions, no platform APIs (the benchmarks import this from Node).
import type { WeightedTerm } from "./ports.ts";

/** A run of letters or digits, in any script. */
const WORD = /[\p{L}\p{N}]+/gu;
/** Han, Hiragana, Katakana and Hangul: scripts written without spaces. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;

/** Longest single term kept from a query; longer runs are noise, not words. */
export const MAX_TERM_LENGTH = 40;
/** At most this many distinct terms go into one FTS5 expression. */
export const MAX_QUERY_TERMS = 32;

/**
 * English function words plus the phrasing of requests ("please help me
 * ..."): they carry no information about which tool is meant. The list is
 * general; it names no tool, server or benchmark query.
 */
const STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are aren as at be because been before being below " +
    "between both but by can cannot could did do does doing don down during each etc few for from further " +
    "had has have having he her here hers herself him himself his how i if in into is isn it its itself just " +
    "let lets me more most my myself no nor not now of off on once only or other ought our ours ourselves " +
    "out over own same she should so some such than that the their theirs them themselves then there these " +
    "they this those through to too under until up very via was we were what when where which while who " +
    "whom why will with within without would you your yours yourself yourselves " +
    // Request phrasing: how people ask, not what they ask for.
    "also based currently give help kindly like need needs please pls show tell want wants wish"
  ).split(" "),
);

/** Splits one identifier-like word at case changes: `getHTTPResponse` → get, HTTP, Response. */
export function splitCamel(word: string): string[] {
  return word
    .replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2")
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2")
    .split(" ")
    .filter((part) => part !== "");
}

/** Space-separated CJK bigrams (a single character stays as it is). */
function cjkBigrams(run: string): string[] {
  const chars = Array.from(run);
  if (chars.length === 1) return chars;
  const grams: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) grams.push(`${chars[i]}${chars[i + 1]}`);
  return grams;
}

export interface TokenOptions {
  /** Split camelCase words into their parts (snake and kebab case split anyway). */
  splitIdentifiers: boolean;
}

export const DEFAULT_TOKEN_OPTIONS: TokenOptions = { splitIdentifiers: true };

/**
 * Lower-cased words of `text` as the index sees them. camelCase words give
 * their parts and the whole word; `_` and `-` separate words; runs of CJK
 * characters become overlapping bigrams (FTS5's unicode61 tokenizer would
 * otherwise keep a whole sentence as one token).
 */
export function words(text: string, options: TokenOptions = DEFAULT_TOKEN_OPTIONS): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    if (CJK.test(word)) {
      for (const piece of word.split(CJK_RUN)) if (piece) pushWord(out, piece, options);
      for (const run of word.match(CJK_RUN) ?? []) out.push(...cjkBigrams(run));
      continue;
    }
    pushWord(out, word, options);
  }
  return out;
}

function pushWord(out: string[], word: string, options: TokenOptions): void {
  const parts = options.splitIdentifiers ? splitCamel(word) : [word];
  if (parts.length > 1) for (const part of parts) out.push(part.toLowerCase());
  out.push(word.toLowerCase());
}

/** Text for an FTS5 column: the words joined by spaces, so the tokenizer sees exactly them. */
export function indexText(text: string, options: TokenOptions = DEFAULT_TOKEN_OPTIONS): string {
  return words(text, options).join(" ");
}

export interface QueryOptions extends TokenOptions {
  stopWords: boolean;
}

export const DEFAULT_QUERY_OPTIONS: QueryOptions = { ...DEFAULT_TOKEN_OPTIONS, stopWords: true };

/**
 * The distinct search terms of a user query, in order of first appearance:
 * lower-cased, stop words dropped, overlong runs dropped, at most
 * MAX_QUERY_TERMS. Empty when nothing searchable is left.
 */
export function queryTerms(query: string, options: QueryOptions = DEFAULT_QUERY_OPTIONS): string[] {
  const seen = new Set<string>();
  for (const word of words(query, options)) {
    if (word.length > MAX_TERM_LENGTH) continue;
    if (options.stopWords && STOP_WORDS.has(word)) continue;
    // A lone Latin letter or digit matches almost everything and means little.
    if (word.length === 1 && !CJK.test(word)) continue;
    seen.add(word);
    if (seen.size >= MAX_QUERY_TERMS) break;
  }
  return [...seen];
}

/** `https://host/path` or `www.host/path`. */
const URL_PATTERN = /\bhttps?:\/\/[^\s"'<>]+|\bwww\.[^\s"'<>]+/gi;
/** A file-system path: `/a/b.txt`, `~/x`, `./x`, `C:\\x`; must start a word. */
const PATH_PATTERN =
  /(?<=^|[\s"'([])(?:~|\.{1,2})?\/[\w.\-/]*[\w-][\w.\-/]*|(?<=^|[\s"'([])[A-Za-z]:\\[\w.\-\\]+/g;
const URL_NOISE = new Set(["http", "https", "www", "com", "org", "net", "io", "html", "htm"]);

export interface EntityRewrite {
  /** The query with URLs and paths replaced by their telling words. */
  text: string;
  /** Words implied by the entities found: `file` for paths, `url` and `web` for URLs. */
  hints: string[];
}

/**
 * Paths and URLs in a request say what kind of object a tool must handle (a
 * file, a web page) more clearly than their words do. A path is reduced to
 * its file name and extension (directories are mostly noise); a URL to its
 * host and path words.
 */
export function rewriteEntities(query: string): EntityRewrite {
  const hints = new Set<string>();
  let text = query.replace(URL_PATTERN, (url) => {
    hints.add("url");
    hints.add("web");
    const withoutQuery = url.replace(/[?#].*$/, "");
    const words = withoutQuery
      .replace(/^https?:\/\//i, "")
      .split(/[^\p{L}\p{N}]+/u)
      .filter((word) => word !== "" && !URL_NOISE.has(word.toLowerCase()));
    return ` ${words.join(" ")} `;
  });
  text = text.replace(PATH_PATTERN, (path) => {
    hints.add("file");
    const base = path.split(/[\\/]/).pop() ?? "";
    const dot = base.lastIndexOf(".");
    const stem = dot > 0 ? base.slice(0, dot) : base;
    const extension = dot > 0 ? base.slice(dot + 1) : "";
    return ` ${stem} ${extension} `;
  });
  return { text, hints: [...hints] };
}

export interface QueryAnalysisOptions extends QueryOptions {
  /** Recognise paths and URLs (see rewriteEntities). */
  entities: boolean;
  /** Add equivalent words from the lexicon. */
  synonyms: ReadonlyMap<string, readonly string[]> | null;
  /** Weight of the user's own terms and entity hints; expansions weigh 1. */
  ownTermWeight: number;
}

export interface AnalysedQuery {
  /** Terms with weights, the user's own first. */
  terms: WeightedTerm[];
  /** The user's own terms (and entity hints), without expansions. */
  ownTerms: string[];
}

/** Everything a query goes through before it reaches an index. */
export function analyseQuery(query: string, options: QueryAnalysisOptions): AnalysedQuery {
  const rewrite = options.entities ? rewriteEntities(query) : { text: query, hints: [] };
  const own = queryTerms(rewrite.text, options);
  for (const hint of rewrite.hints) if (!own.includes(hint) && own.length < MAX_QUERY_TERMS) own.push(hint);
  const weights = new Map<string, number>(own.map((term) => [term, options.ownTermWeight]));
  if (options.synonyms) {
    for (const term of own) {
      for (const synonym of options.synonyms.get(term) ?? []) {
        if (!weights.has(synonym) && weights.size < MAX_QUERY_TERMS * 2) weights.set(synonym, 1);
      }
    }
  }
  return {
    terms: [...weights].map(([term, weight]) => ({ term, weight })),
    ownTerms: own,
  };
}

/**
 * An FTS5 expression matching any of the terms (OR: long natural-language
 * requests still match, and BM25 ranks documents with more and rarer terms
 * first). A term of weight n appears n times, since bm25() adds one
 * contribution per phrase of the query. Every term is a quoted string, so
 * FTS5 syntax in user text (AND, OR, NOT, NEAR, `*`, `^`, `:`, `-`,
 * parentheses) is never an operator; terms hold only letters and digits,
 * and quotes are doubled anyway.
 */
export function weightedExpression(terms: WeightedTerm[]): string {
  const parts: string[] = [];
  for (const { term, weight } of terms) {
    const phrase = `"${term.replaceAll('"', '""')}"`;
    for (let i = 0; i < Math.max(1, Math.round(weight)); i++) parts.push(phrase);
  }
  return parts.join(" OR ");
}
