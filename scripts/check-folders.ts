// Folder-direction check (run by `npm test`): every relative import between
// folders of worker/ and durable-objects/ must follow a direction listed in
// ALLOWED, and the folder graph must have no cycle. A new edge fails the
// check until it is listed here, which is where a reviewer sees it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

/**
 * Folder -> folders it may import from (files directly in worker/ are each
 * their own node). Bottom to top: the leaves (platform, protocol) know
 * nothing else; policy, store, http and auth hold the rules; resilience and
 * upstream talk to replicas; registry and search hold state; edge is the one
 * MCP ingress; proxy and aggregated are the two wings above it; routes,
 * services.ts (the composition root), app.ts and the Durable Objects compose.
 */
const ALLOWED: Record<string, string[]> = {
  "worker/platform/": [],
  "worker/protocol/": [],
  "worker/store/": [],
  "worker/policy/": ["worker/auth/"],
  "worker/http/": ["worker/observability/", "worker/protocol/"],
  "worker/auth/": ["worker/http/", "worker/observability/", "worker/store/"],
  "worker/observability/": ["worker/platform/", "worker/store/"],
  "worker/resilience/": [
    "worker/auth/",
    "worker/http/",
    "worker/observability/",
    "worker/platform/",
    "worker/protocol/",
    "worker/store/",
  ],
  "worker/upstream/": [
    "worker/auth/",
    "worker/observability/",
    "worker/platform/",
    "worker/protocol/",
    "worker/resilience/",
    "worker/store/",
  ],
  "worker/registry/": [
    "worker/auth/",
    "worker/http/",
    "worker/platform/",
    "worker/policy/",
    "worker/resilience/",
    "worker/store/",
    "worker/upstream/",
  ],
  "worker/search/": ["worker/observability/", "worker/registry/", "worker/store/"],
  // Issue 15: the gateway as OAuth authorization server and dashboard sign-in.
  // (upstream/: per-user upstream credentials hand tokens to the egress layer.)
  "worker/oauth/": [
    "worker/auth/",
    "worker/http/",
    "worker/platform/",
    "worker/registry/",
    "worker/store/",
    "worker/upstream/",
  ],
  // Issue 14: the scanner and tool pinning (above the registry, below the MCP edge).
  "worker/security/": ["worker/auth/", "worker/http/", "worker/registry/", "worker/store/"],
  // The MCP Registry API (/v0.1) and federation (issue 13).
  "worker/registry-api/": ["worker/auth/", "worker/http/", "worker/registry/", "worker/store/"],
  "worker/federation/": [
    "worker/auth/",
    "worker/http/",
    "worker/platform/",
    "worker/registry/",
    "worker/registry-api/",
    "worker/store/",
    "worker/upstream/",
  ],
  // Issue 11: virtual servers' definitions and validation (their MCP side is in aggregated/).
  "worker/virtual/": ["worker/auth/", "worker/http/", "worker/policy/", "worker/registry/", "worker/store/"],
  "worker/env.ts": [
    "worker/auth/",
    "worker/http/",
    "worker/observability/",
    "worker/registry/",
    "worker/resilience/",
    "worker/search/",
    "worker/security/",
    "worker/oauth/",
  ],
  "worker/search-adapters.ts": ["worker/env.ts", "worker/search/"],
  "worker/services.ts": [
    "worker/auth/",
    "worker/env.ts",
    "worker/observability/",
    "worker/registry/",
    "worker/search-adapters.ts",
    "worker/search/",
    "worker/store/",
    "worker/upstream/",
    "worker/security/",
    "worker/registry-api/",
    "worker/federation/",
    "worker/oauth/",
    "worker/virtual/",
  ],
  // The Cron Trigger: one task module per feature, each composing through services.ts.
  // The Cron Trigger's composition root: tasks get settings and services as arguments.
  "worker/scheduled.ts": [
    "worker/env.ts",
    "worker/federation-sync-task.ts",
    "worker/observability/",
    "worker/platform/",
    "worker/resilience/",
    "worker/services.ts",
  ],
  "worker/federation-sync-task.ts": ["worker/services.ts"],
  "worker/edge/": [
    "worker/auth/",
    "worker/env.ts",
    "worker/observability/",
    "worker/platform/",
    "worker/policy/",
    "worker/protocol/",
    "worker/registry/",
    "worker/services.ts",
    "worker/store/",
    "worker/security/",
  ],
  "worker/proxy/": [
    "worker/auth/",
    "worker/edge/",
    "worker/http/",
    "worker/platform/",
    "worker/policy/",
    "worker/protocol/",
    "worker/resilience/",
    "worker/store/",
    "worker/upstream/",
  ],
  "worker/aggregated/": [
    "worker/auth/",
    "worker/edge/",
    "worker/env.ts",
    "worker/platform/",
    "worker/policy/",
    "worker/protocol/",
    "worker/registry/",
    "worker/resilience/",
    "worker/search/",
    "worker/services.ts",
    "worker/store/",
    "worker/upstream/",
    "worker/security/",
    "worker/virtual/",
  ],
  "worker/routes/": [
    "worker/aggregated/",
    "worker/auth/",
    "worker/edge/",
    "worker/env.ts",
    "worker/http/",
    "worker/observability/",
    "worker/platform/",
    "worker/policy/",
    "worker/protocol/",
    "worker/proxy/",
    "worker/registry/",
    "worker/resilience/",
    "worker/search/",
    "worker/services.ts",
    "worker/store/",
    "worker/upstream/",
    "worker/federation/",
    "worker/oauth/",
    "worker/virtual/",
  ],
  "worker/app.ts": [
    "worker/auth/",
    "worker/http/",
    "worker/resilience/",
    "worker/routes/",
    "worker/services.ts",
  ],
  // The entry also sends the dashboard's requests to its Worker (http/dashboard-requests.ts).
  "worker/index.ts": ["durable-objects", "worker/app.ts", "worker/http/", "worker/scheduled.ts"],
  // Durable Objects are entry points of their own: they compose like routes, and nothing imports them but index.ts.
  "durable-objects": [
    "worker/aggregated/",
    "worker/auth/",
    "worker/edge/",
    "worker/env.ts",
    "worker/observability/",
    "worker/platform/",
    "worker/policy/",
    "worker/protocol/",
    "worker/proxy/",
    "worker/registry/",
    "worker/resilience/",
    "worker/services.ts",
    "worker/store/",
    "worker/upstream/",
  ],
};

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
