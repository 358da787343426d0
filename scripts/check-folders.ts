// Folder-direction check (run by `npm test`): every relative import between
// folders of worker/ and durable-objects/ must follow a direction listed in
// ALLOWED, and the folder graph must have no cycle. A new edge fails the
// check until it is listed here, which is where a reviewer sees it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

/** Folder -> folders it may import from. Files directly in worker/ are each their own node. */
const ALLOWED: Record<string, string[]> = {};

function folderOf(file: string): string {
  const rel = relative(ROOT, file).replaceAll("\\", "/");
  const parts = rel.split("/");
  if (parts[0] === "durable-objects") return "durable-objects";
  if (parts[0] !== "worker") return parts[0] ?? rel;
  if (parts.length === 2) return `worker/${parts[1]}`;
  return `worker/${parts[1]}/`;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+["'](\.{1,2}\/[^"']+)["']/g;

export function folderEdges(): Map<string, Map<string, string[]>> {
  const edges = new Map<string, Map<string, string[]>>();
  for (const file of [...walk(join(ROOT, "worker")), ...walk(join(ROOT, "durable-objects"))]) {
    const from = folderOf(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORT)) {
      const target = resolve(dirname(file), match[1] as string);
      const to = folderOf(target);
      if (to === from || !relative(ROOT, target).match(/^(worker|durable-objects|config)\//)) continue;
      if (to.startsWith("config")) continue;
      const targets = edges.get(from) ?? new Map<string, string[]>();
      targets.set(to, [...(targets.get(to) ?? []), relative(ROOT, file)]);
      edges.set(from, targets);
    }
  }
  return edges;
}

function cycles(edges: Map<string, Map<string, string[]>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return found;
}

const edges = folderEdges();
const problems: string[] = [];
if (process.argv.includes("--print")) {
  for (const [from, targets] of [...edges].sort())
    console.log(`${from} -> ${[...targets.keys()].sort().join(", ")}`);
}
for (const [from, targets] of edges) {
  for (const [to, files] of targets) {
    if (!(ALLOWED[from] ?? []).includes(to))
      problems.push(`${from} -> ${to} is not an allowed direction (${files.join(", ")})`);
  }
}
for (const cycle of cycles(edges)) problems.push(`import cycle between folders: ${cycle.join(" -> ")}`);
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exitCode = 1;
} else {
  console.log(
    `folder directions ok (${[...edges.values()].reduce((n, t) => n + t.size, 0)} edges, no cycles)`,
  );
}
