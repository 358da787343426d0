// A Vite plugin for the `walk` test project only: it puts one probe call at
// the start of every function in worker/ and durable-objects/, so a test can
// record which of the gateway's files run during one request, in what order,
// and which are entered again after the walk left them (test/walk/). The
// probe is `globalThis.__walkProbe?.("worker/x.ts")`: nothing is recorded
// unless a test installed a recorder. Never used outside that project.
import { relative } from "node:path";
import ts from "typescript";

const WALKED = /^(worker|durable-objects)\//;

/** The source with a probe inserted at the start of every function body. */
export function instrument(code: string, file: string): string {
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const probe = `globalThis.__walkProbe?.(${JSON.stringify(file)})`;
  const inserts: { at: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const body = node.body as ts.Node;
      if (ts.isBlock(body)) inserts.push({ at: body.getStart(source) + 1, text: `${probe};` });
      else {
        // An arrow function's expression body: run the probe, then the expression.
        inserts.push({ at: body.getStart(source), text: `(${probe}, ` });
        inserts.push({ at: body.getEnd(), text: ")" });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  inserts.sort((a, b) => b.at - a.at);
  let out = code;
  for (const { at, text } of inserts) out = out.slice(0, at) + text + out.slice(at);
  return out;
}

export function walkProbes(root: string) {
  return {
    name: "walk-probes",
    transform(code: string, id: string) {
      const file = relative(root, id.split("?")[0] ?? id);
      if (!WALKED.test(file) || !/\.(ts|js)$/.test(file)) return null;
      return { code: instrument(code, file), map: null };
    },
  };
}
