// `npm run deploy:check`: proves offline (no Cloudflare account, no network)
// that the production Worker deploys as configured:
// 1. wrangler.toml's [env.production] declares every binding the top level
//    declares (wrangler does not inherit bindings into environments, so a
//    binding added only at the top level would be missing in production),
//    plus Workers AI and Vectorize, with production-safe vars;
// 2. `wrangler deploy --dry-run --env production --outdir <tmp>` bundles the
//    Worker, and the bundle stays under the Workers size limit;
// 3. the dashboard's Worker (dashboard/wrangler.toml, static assets) passes
//    its own dry run, and the DASHBOARD binding names it;
// 4. wrangler ignored nothing in either configuration (it only warns when a
//    key sits under the wrong table, as `compatibility_flags` once did).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";
import { DASHBOARD_CONFIG, QUIET_ENV, WRANGLER } from "./local-gateway.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CONFIG = join(ROOT, "wrangler.toml");
/** Workers' limit for a compressed Worker on the paid plan. */
const MAX_GZIP_KIB = 10 * 1024;

/** The parts of wrangler's resolved configuration this check reads. */
interface Config {
  d1_databases: { binding: string }[];
  durable_objects: { bindings: { name: string; class_name: string; script_name?: string }[] };
  kv_namespaces: { binding: string }[];
  analytics_engine_datasets: { binding: string }[];
  r2_buckets: { binding: string }[];
  queues: { producers?: { binding: string }[] };
  services?: { binding: string; service: string }[];
  ai?: { binding: string };
  vectorize: { binding: string }[];
  vars: Record<string, unknown>;
  migrations: { new_sqlite_classes?: string[]; new_classes?: string[] }[];
}

const readConfig = (env?: string): Config =>
  unstable_readConfig({ config: CONFIG, ...(env && { env }) }) as unknown as Config;
const readDashboardName = (): string | undefined =>
  (unstable_readConfig({ config: DASHBOARD_CONFIG }) as unknown as { name?: string }).name;

/** Binding names of each kind that environments must redeclare. */
function bindingNames(config: Config): Map<string, string[]> {
  return new Map<string, string[]>([
    ["d1_databases", config.d1_databases.map((entry) => entry.binding)],
    ["durable_objects", config.durable_objects.bindings.map((entry) => entry.name)],
    ["kv_namespaces", config.kv_namespaces.map((entry) => entry.binding)],
    ["analytics_engine_datasets", config.analytics_engine_datasets.map((entry) => entry.binding)],
    ["r2_buckets", config.r2_buckets.map((entry) => entry.binding)],
    ["queues.producers", config.queues.producers?.map((entry) => entry.binding) ?? []],
    ["services", config.services?.map((entry) => entry.binding) ?? []],
  ]);
}

function configProblems(top: Config, production: Config): string[] {
  const problems: string[] = [];
  const wanted = bindingNames(top);
  const present = bindingNames(production);
  for (const [kind, names] of wanted) {
    for (const name of names) {
      if (!present.get(kind)?.includes(name)) {
        problems.push(`[env.production] lacks the ${kind} binding ${name} that the top level declares`);
      }
    }
  }
  if (!production.ai) problems.push("[env.production] has no Workers AI binding ([env.production.ai])");
  if (production.vectorize.length === 0) problems.push("[env.production] has no Vectorize binding");
  const { vars } = production;
  if (vars.ENVIRONMENT !== "production")
    problems.push('[env.production.vars] ENVIRONMENT must be "production"');
  if (vars.DEV_MODE !== "false") problems.push('[env.production.vars] DEV_MODE must be "false"');
  if (vars.ALLOW_PRIVATE_UPSTREAMS !== "false") {
    problems.push('[env.production.vars] ALLOW_PRIVATE_UPSTREAMS must be "false"');
  }
  const classes = new Set(
    production.migrations.flatMap((step) => [
      ...(step.new_sqlite_classes ?? []),
      ...(step.new_classes ?? []),
    ]),
  );
  for (const binding of production.durable_objects.bindings) {
    if (!binding.script_name && !classes.has(binding.class_name)) {
      problems.push(`Durable Object class ${binding.class_name} has no [[migrations]] step creating it`);
    }
  }
  return problems;
}

function dryRun(outdir: string, config: string, env?: string): { output: string; status: number | null } {
  const result = spawnSync(
    process.execPath,
    [WRANGLER, "deploy", "--dry-run", ...(env ? ["--env", env] : []), "--config", config, "--outdir", outdir],
    { cwd: ROOT, env: { ...process.env, ...QUIET_ENV }, encoding: "utf8" },
  );
  return { output: `${result.stdout}${result.stderr}`, status: result.status };
}

/**
 * wrangler's warning about a configuration it partly ignores (e.g. a key under
 * the wrong table), which it prints and goes on past; null when there is none.
 */
function configWarning(output: string): string | null {
  const at = output.search(/Processing \S+ configuration/);
  return at < 0 ? null : output.slice(at, at + 400).trim();
}

function main(): number {
  const top = readConfig();
  const production = readConfig("production");
  const problems = configProblems(top, production);
  for (const problem of problems) console.error(`deploy:check: ${problem}`);
  if (problems.length > 0) return 1;

  // wrangler refuses a missing [assets] folder; an unbuilt dashboard bundles as none.
  const assets = join(ROOT, "dashboard", "dist");
  if (!existsSync(assets)) mkdirSync(assets, { recursive: true });
  const outdir = mkdtempSync(join(tmpdir(), "mcp-gateway-deploy-check-"));
  try {
    const { output, status } = dryRun(outdir, CONFIG, "production");
    const bundle = join(outdir, "index.js");
    if (status !== 0 || !existsSync(bundle)) {
      console.error(`deploy:check: wrangler deploy --dry-run failed (exit ${status})\n${output}`);
      return 1;
    }
    // The dashboard's Worker (static assets only), which the DASHBOARD binding names: deployed first.
    const dashboard = dryRun(join(outdir, "dashboard"), DASHBOARD_CONFIG);
    if (dashboard.status !== 0) {
      console.error(
        `deploy:check: wrangler deploy --dry-run of dashboard/wrangler.toml failed (exit ${dashboard.status})\n${dashboard.output}`,
      );
      return 1;
    }
    const warnings = [configWarning(output), configWarning(dashboard.output)].filter(
      (warning) => warning !== null,
    );
    for (const warning of warnings)
      console.error(`deploy:check: wrangler ignored part of the configuration:\n${warning}`);
    if (warnings.length > 0) return 1;
    const named = production.services?.find((service) => service.binding === "DASHBOARD");
    if (named !== undefined && named.service !== readDashboardName()) {
      console.error(
        `deploy:check: the DASHBOARD binding names ${named.service}, not dashboard/wrangler.toml's Worker`,
      );
      return 1;
    }
    const gzip = /gzip: ([\d.]+) KiB/.exec(output)?.[1];
    if (gzip !== undefined && Number(gzip) > MAX_GZIP_KIB) {
      console.error(`deploy:check: the bundle is ${gzip} KiB gzipped, over the ${MAX_GZIP_KIB} KiB limit`);
      return 1;
    }
    const bindings = output.split("\n").filter((line) => line.startsWith("env."));
    console.log(
      `deploy:check: production bundle ${(statSync(bundle).size / 1024).toFixed(0)} KiB (gzip ${gzip ?? "?"} KiB), ${bindings.length} bindings:`,
    );
    for (const line of bindings) console.log(`  ${line.replace(/\s+/g, " ").trim()}`);
    return 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = main();
