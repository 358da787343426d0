// Writes the walks of one steady tools/call (test/walk) into
// docs/architecture.md: runs the `walk` test project, which prints each walk
// as it records it, and puts each between its markers
// (`<!-- walk:NAME -->` ... `<!-- /walk:NAME -->`). The same project's test
// fails while the document and the code differ.
//
//   npm run walk:docs
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const DOC = resolve(ROOT, "docs/architecture.md");

const run = spawnSync("npx", ["vitest", "run", "--project", "walk", "--silent=false"], {
  cwd: ROOT,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes in Vitest's output
const output = `${run.stdout}${run.stderr}`.replace(/\u001b\[[0-9;]*m/g, "");
const walks = new Map<string, string>();
for (const [, name = "", listed = ""] of output.matchAll(/<<walk:(\w+)\n([\s\S]*?)\nwalk>>/g))
  walks.set(name, listed);
if (walks.size === 0) {
  process.stderr.write(`${output}\nno walk was printed: the walk project did not run its tests\n`);
  process.exit(1);
}

let doc = readFileSync(DOC, "utf8");
const missing: string[] = [];
for (const [name, listed] of walks) {
  const block = new RegExp(`(<!-- walk:${name} -->\\n)[\\s\\S]*?(\\n<!-- /walk:${name} -->)`);
  if (!block.test(doc)) missing.push(name);
  else doc = doc.replace(block, (_all, open: string, close: string) => `${open}${listed}${close}`);
}
writeFileSync(DOC, doc);
for (const [name, listed] of walks) process.stdout.write(`walk:${name}: ${listed.split("\n")[0]}\n`);
if (missing.length > 0) {
  process.stderr.write(`docs/architecture.md has no markers for: ${missing.join(", ")}\n`);
  process.exit(1);
}
