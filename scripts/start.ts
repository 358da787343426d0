// `npm start`: the whole local stack in one command on a fresh clone. Makes
// sure .dev.vars holds the development admin password and the token signing
// key, builds the dashboard (when it changed), starts the demo MCP backend and
// the gateway (wrangler dev), which serves the dashboard too, logs in
// with the development login and registers the demo backend, prints where
// everything is, and stays in the foreground until Ctrl-C.
import { chmod, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { buildDashboard } from "./build-dashboard.ts";
import { type DevSecrets, devLogin, newDevSecrets } from "./dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "./local-gateway.ts";
import { type RunningProcess, startProcess, waitFor } from "./processes.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DEV_VARS = join(ROOT, ".dev.vars");
const PERSIST_DIR = ".wrangler/state";

const gatewayPort = Number(process.env.PORT ?? 8787);
const demoPort = Number(process.env.DEMO_PORT ?? 8788);

// ---------------------------------------------------------------------------
// 1. Development secrets in .dev.vars (gitignored; `wrangler dev` alone reads it too)

/** Entries no longer used (the interim admin token before identity landed). */
const RETIRED = new Set(["ADMIN_TOKEN"]);

interface DevVars {
  /** Every entry of .dev.vars that the gateway should get, as secrets. */
  secrets: Record<string, string>;
  /** The names generated on this run (their values are shown once). */
  created: (keyof DevSecrets)[];
}

async function ensureDevSecrets(): Promise<DevVars> {
  const existing = await readFile(DEV_VARS, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  const current = parseEnv(existing) as Record<string, string>;
  const fresh = newDevSecrets();
  const created = (Object.keys(fresh) as (keyof DevSecrets)[]).filter((name) => !current[name]);
  if (created.length > 0) {
    const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
    const header =
      existing === "" ? "# Local secrets for wrangler dev and npm start. Never commit this file.\n" : "";
    const lines = created.map((name) => `${name}=${fresh[name]}\n`).join("");
    await writeFile(DEV_VARS, `${existing}${separator}${header}${lines}`, { mode: 0o600 });
    await chmod(DEV_VARS, 0o600);
  }
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...current, ...pick(fresh, created) })) {
    if (!RETIRED.has(name)) secrets[name] = value;
  }
  return { secrets, created };
}

function pick(secrets: DevSecrets, names: (keyof DevSecrets)[]): Partial<DevSecrets> {
  return Object.fromEntries(names.map((name) => [name, secrets[name]]));
}

function announceSecrets(vars: DevVars): void {
  if (vars.created.length > 0) {
    const line = "=".repeat(78);
    console.log(`\n${line}`);
    console.log(`  Generated ${vars.created.join(", ")} and saved to .dev.vars (gitignored).`);
    if (vars.created.includes("DEV_ADMIN_PASSWORD")) {
      console.log("  The development admin login is shown only this once:\n");
      console.log(`    user name  ${vars.secrets.DEV_ADMIN_USERNAME}`);
      console.log(`    password   ${vars.secrets.DEV_ADMIN_PASSWORD}\n`);
    }
    console.log(`  Later runs read them from ${DEV_VARS}.`);
    console.log(`${line}\n`);
  } else {
    console.log(`Development login and signing key: kept in ${DEV_VARS}.`);
  }
}

// ---------------------------------------------------------------------------
// 2. The demo backend

async function startDemo(): Promise<RunningProcess> {
  const proc = startProcess(process.execPath, [join(ROOT, "demo", "server.ts")], {
    DEMO_PORT: String(demoPort),
  });
  const probe = async () => {
    const response = await fetch(`http://127.0.0.1:${demoPort}/health`, {
      signal: AbortSignal.timeout(1_000),
    });
    await response.body?.cancel();
    return response.status === 200;
  };
  try {
    await waitFor("demo backend", probe, { timeoutMs: 15_000, process: proc });
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return proc;
}

// ---------------------------------------------------------------------------
// 4. Seed: register the demo backend, or refresh its catalog

interface ServerRecord {
  id: string;
  path?: string;
  endpoints?: { url: string }[];
  catalog?: { status?: string; toolCount?: number; counts?: { tools?: number }; error?: string | null };
}

async function api(
  gatewayUrl: string,
  token: string,
  path: string,
  init: RequestInit = {},
): Promise<unknown> {
  const response = await fetch(`${gatewayUrl}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(
      `${init.method ?? "GET"} /api/v1${path} answered ${response.status}: ${text.slice(0, 300)}`,
    );
  }
  return text === "" ? undefined : JSON.parse(text);
}

async function seedDemo(gatewayUrl: string, token: string): Promise<string> {
  const demoUrl = `http://127.0.0.1:${demoPort}/mcp`;
  const list = (await api(gatewayUrl, token, "/servers?path=demo")) as { items?: ServerRecord[] };
  const existing = list.items?.find((item) => item.path === "demo");
  if (!existing) {
    const created = (await api(gatewayUrl, token, "/servers", {
      method: "POST",
      body: JSON.stringify({
        name: "Demo tools",
        path: "demo",
        description:
          "The demo MCP backend shipped with the gateway: current time in any time zone, unit conversion and word counts.",
        tags: ["demo", "time", "utilities"],
        endpoints: [{ url: demoUrl, transport: "streamable-http" }],
      }),
    })) as ServerRecord;
    return `registered demo backend as server ${created.id} (${describeCatalog(created)})`;
  }
  const refreshed = (await api(gatewayUrl, token, `/servers/${encodeURIComponent(existing.id)}/refresh`, {
    method: "POST",
  })) as ServerRecord | undefined;
  const moved = existing.endpoints?.some((endpoint) => endpoint.url === demoUrl) === false;
  const warning = moved ? `; note: it is registered at ${existing.endpoints?.[0]?.url}, not ${demoUrl}` : "";
  return `refreshed demo server ${existing.id} (${describeCatalog(refreshed ?? existing)})${warning}`;
}

function describeCatalog(record: ServerRecord): string {
  const catalog = record.catalog;
  if (!catalog) return "catalog status unknown";
  const toolCount = catalog.toolCount ?? catalog.counts?.tools;
  const tools = toolCount === undefined ? "" : `, ${toolCount} tools`;
  const error = catalog.error ? `, ${catalog.error}` : "";
  return `catalog ${catalog.status ?? "unknown"}${tools}${error}`;
}

// ---------------------------------------------------------------------------

function printSummary(gateway: LocalGateway, readyMs: number, seed: string): void {
  const url = gateway.url;
  console.log(`
MCP Gateway is running (first 200 on /health ${readyMs} ms after start)

  Gateway        ${url}
  Dashboard      ${url}/  (sign in with the development login; see .dev.vars)
  Health         ${url}/health
  Servers API    ${url}/api/v1/servers
  OpenAPI        ${url}/api/v1/openapi.json
  Demo backend   http://127.0.0.1:${demoPort}/mcp
  Seed           ${seed}
  Dev login      POST ${url}/api/v1/auth/dev-login (DEV_ADMIN_USERNAME / DEV_ADMIN_PASSWORD in .dev.vars)
  Token keys     ${url}/.well-known/jwks.json

Try (from the repository root):
  TOKEN=$(npm run -s token)
  curl -H "Authorization: Bearer $TOKEN" ${url}/api/v1/servers

Press Ctrl-C to stop.
`);
}

async function main(): Promise<void> {
  // Stop requests can come at any time, even while wrangler is still starting;
  // then the children are stopped as soon as their handles exist.
  const running: { stop(): Promise<void> }[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping the gateway and the demo backend ...");
    await Promise.allSettled(running.map((child) => child.stop()));
    process.exit(code);
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    if (running.length > 0) void shutdown(0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // `kill <npm pid>` ends npm and its `sh -c` without signalling us; being
  // re-parented is the only sign, so watch for it rather than leave orphans.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) onSignal();
  }, 500).unref();

  const devVars = await ensureDevSecrets();
  announceSecrets(devVars);
  // Before wrangler starts: it serves dashboard/dist (skipped when nothing changed).
  const dashboard = await buildDashboard();
  console.log(
    dashboard.built ? `Dashboard built in ${dashboard.ms} ms.` : "Dashboard unchanged, not rebuilt.",
  );
  console.log(`Starting the demo backend on :${demoPort} and the gateway on :${gatewayPort} ...`);

  let forwardLogs = false;
  let readyMs = 0;
  const [demoResult, gatewayResult] = await Promise.allSettled([
    startDemo(),
    startLocalGateway({
      port: gatewayPort,
      persistDir: PERSIST_DIR,
      // Every .dev.vars entry reaches the Worker as a secret (the launcher
      // passes its own env file, so wrangler does not read .dev.vars itself).
      secrets: devVars.secrets,
      onOutput: (text) => {
        if (forwardLogs) process.stdout.write(text);
      },
    }).then((gateway) => {
      // performance.now() counts from process start.
      readyMs = Math.round(performance.now());
      return gateway;
    }),
  ]);
  if (demoResult.status === "fulfilled") running.push(demoResult.value);
  if (gatewayResult.status === "fulfilled") running.push(gatewayResult.value);
  if (demoResult.status === "rejected" || gatewayResult.status === "rejected") {
    await Promise.allSettled(running.map((child) => child.stop()));
    throw demoResult.status === "rejected"
      ? demoResult.reason
      : (gatewayResult as PromiseRejectedResult).reason;
  }
  if (interrupted) return shutdown(0);
  const demo = demoResult.value;
  const gateway = gatewayResult.value;

  void gateway.exited.then((code) => {
    if (stopping) return;
    console.error(`\nwrangler dev exited unexpectedly (code ${code}). Last output:\n${gateway.output()}`);
    void shutdown(1);
  });
  demo.child.once("exit", (code) => {
    if (stopping) return;
    console.error(`\nThe demo backend exited unexpectedly (code ${code}). Last output:\n${demo.output()}`);
    void shutdown(1);
  });

  let seed: string;
  try {
    const { DEV_ADMIN_USERNAME: username = "", DEV_ADMIN_PASSWORD: password = "" } = devVars.secrets;
    seed = await seedDemo(gateway.url, await devLogin(gateway.url, username, password));
  } catch (error) {
    seed = `FAILED (the gateway keeps running): ${error instanceof Error ? error.message : String(error)}`;
  }
  if (stopping) return;
  printSummary(gateway, readyMs, seed);
  forwardLogs = true;
}

main().catch((error: unknown) => {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
