// Loads the two tool-retrieval benchmark sets from ../shared/data/tool-retrieval
// (beside the clone; SEARCH_BENCH_DATA overrides) into one shape: corpus
// servers with their tools, and queries with the tool names that answer them.
// Node-only. See ../shared/data/tool-retrieval/README.md for the sources.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom } from "./paired-stats.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function dataDir(): string {
  return process.env.SEARCH_BENCH_DATA ?? resolve(ROOT, "..", "shared", "data", "tool-retrieval");
}

export interface CorpusTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface CorpusServer {
  /** URL-safe, unique within the corpus: the gateway path and the loopback MCP path. */
  slug: string;
  name: string;
  description: string;
  tools: CorpusTool[];
}

export interface BenchQuery {
  text: string;
  /** Distinct relevant tool names. */
  relevant: string[];
}

export interface Dataset {
  id: "livemcpbench" | "metatool";
  servers: CorpusServer[];
  queries: BenchQuery[];
}

interface LiveServer {
  name: string;
  description?: string;
  tools: Record<
    string,
    { tools: { name: string; description?: string; inputSchema?: Record<string, unknown> }[] }
  >;
}

interface LiveTask {
  Question: string;
  "Annotator Metadata": { Tools: string };
}

function slugify(name: string, used: Set<string>): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || "server";
  let slug = base;
  for (let n = 2; used.has(slug); n++) slug = `${base}-${n}`;
  used.add(slug);
  return slug;
}

/** 70 servers, 527 tools; 94 tasks whose ground truth resolves to at least one tool. */
export async function loadLiveMcpBench(): Promise<Dataset> {
  const dir = join(dataDir(), "livemcpbench");
  const raw = JSON.parse(await readFile(join(dir, "tools.json"), "utf8")) as LiveServer[];
  const used = new Set<string>();
  const servers: CorpusServer[] = raw.map((server) => {
    const tools: CorpusTool[] = [];
    const seen = new Set<string>();
    for (const group of Object.values(server.tools)) {
      for (const tool of group.tools) {
        if (seen.has(tool.name)) continue;
        seen.add(tool.name);
        tools.push({
          name: tool.name,
          description: tool.description ?? "",
          inputSchema: tool.inputSchema ?? { type: "object" },
        });
      }
    }
    return {
      slug: slugify(server.name, used),
      name: server.name,
      description: server.description ?? "",
      tools,
    };
  });
  const known = new Set(servers.flatMap((server) => server.tools.map((tool) => tool.name)));
  const tasks = JSON.parse(await readFile(join(dir, "all_annotations.json"), "utf8")) as LiveTask[];
  const queries: BenchQuery[] = [];
  for (const task of tasks) {
    const relevant = [
      ...new Set(
        task["Annotator Metadata"].Tools.split("\n")
          .map((line) => line.replace(/^\s*\d+\.\s*/, "").trim())
          .filter((name) => known.has(name)),
      ),
    ];
    if (relevant.length > 0) queries.push({ text: task.Question, relevant });
  }
  return { id: "livemcpbench", servers, queries };
}

/** 199 plugins, each served as a one-tool server; `sample` queries drawn with a fixed seed. */
export async function loadMetaTool(sample = 2000, seed = 0): Promise<Dataset> {
  const dir = join(dataDir(), "metatool");
  const plugins = JSON.parse(await readFile(join(dir, "plugin_des.json"), "utf8")) as Record<string, string>;
  const used = new Set<string>();
  const servers: CorpusServer[] = Object.entries(plugins).map(([name, description]) => ({
    slug: slugify(name, used),
    name,
    description: "",
    tools: [{ name, description, inputSchema: { type: "object" } }],
  }));
  const rows = parseCsv(await readFile(join(dir, "all_clean_data.csv"), "utf8")).slice(1);
  const all = rows
    .filter((row) => row.length >= 2 && row[1] && row[1] in plugins)
    .map((row) => ({ text: row[0] ?? "", relevant: [row[1] ?? ""] }));
  return { id: "metatool", servers, queries: seededSample(all, sample, seed) };
}

/** Fisher-Yates over a copy with a small deterministic PRNG (mulberry32). */
function seededSample<T>(items: T[], count: number, seed: number): T[] {
  const random = seededRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, Math.min(count, copy.length));
}

/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
      continue;
    }
    if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
