// Starts the gateway locally under `wrangler dev` (Node-only): applies the D1
// migrations to a persistence directory, runs the Worker with the given
// secrets and vars, and resolves once GET /health answers 200. Used by
// `npm start`, the e2e tests and the benchmarks.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type RunningProcess, startProcess, waitFor } from "./processes.ts";

export interface LocalGatewayOptions {
  port: number;
  /** Where wrangler keeps local D1/Durable Object state; relative paths are resolved against the repo root. */
  persistDir: string;
  /**
   * Worker secrets (e.g. DEV_ADMIN_USERNAME, DEV_ADMIN_PASSWORD, TOKEN_SIGNING_KEY,
   * egress credentials). They reach wrangler through a private env file, never
   * the command line.
   */
  secrets: Record<string, string>;
  /** Extra Worker vars; they override [vars] in wrangler.toml. */
  vars?: Record<string, string>;
  /** How long to wait for GET /health; default 60 s. */
  timeoutMs?: number;
  /** Receives wrangler's output as it arrives (it is kept for `output()` either way). */
  onOutput?: (text: string) => void;
  /** The V8 inspector port for the Worker (a free one when absent); bench/profile-gateway.ts sets it. */
  inspectorPort?: number;
}

export interface LocalGateway {
  /** e.g. http://127.0.0.1:8787 (no trailing slash). */
  url: string;
  stop(): Promise<void>;
  /** The last ~20 kB of wrangler's output, for diagnostics. */
  output(): string;
  /** Settles with wrangler's exit code when it exits, for whatever reason. */
  exited: Promise<number | null>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const CONFIG = join(ROOT, "wrangler.toml");
/** The dashboard's Worker (static assets only), run by the same `wrangler dev`. */
export const DASHBOARD_CONFIG = join(ROOT, "dashboard", "wrangler.toml");

// Never prompt, never phone home, never load the developer's shell environment
// into the Worker. CI=true is what makes `d1 migrations apply` skip its prompt.
export const QUIET_ENV: Record<string, string> = {
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true",
  CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
  // Local runs need no real Request.cf; fetching it costs up to 3 s offline.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

export async function startLocalGateway(o: LocalGatewayOptions): Promise<LocalGateway> {
  const persistDir = resolve(ROOT, o.persistDir);
  const envFileText = secretLines(o.secrets);
  const extraVars = varArgs(o.vars ?? {}, o.secrets);
  const inspectorPort = o.inspectorPort ?? (await freePort());
  await assertPortFree(o.port);
  // wrangler refuses to start when the dashboard's [assets] folder is missing; an empty one
  // (dashboard not built: tests that do not need it) serves no dashboard.
  await mkdir(join(ROOT, "dashboard", "dist"), { recursive: true });
  await applyMigrations(persistDir);

  // Secrets go to wrangler through a private env file outside the
  // repository: nothing is written into the checkout and they stay off the
  // command line (`ps`). Passing --env-file also stops wrangler from reading
  // the repo's .dev.vars, so callers get exactly the secrets they chose.
  // Plain vars go on the command line (--var beats both wrangler.toml and env files).
  const secretsDir = await mkdtemp(join(tmpdir(), "mcp-gateway-"));
  const envFile = join(secretsDir, "gateway.env");
  await writeFile(envFile, envFileText, { mode: 0o600 });
  await chmod(envFile, 0o600);

  const args = [
    WRANGLER,
    "dev",
    "--config",
    CONFIG,
    // The dashboard's Worker next to the gateway, behind its DASHBOARD binding (one URL for both).
    "--config",
    DASHBOARD_CONFIG,
    "--ip",
    "127.0.0.1",
    "--port",
    String(o.port),
    // An explicit inspector port: two gateways starting together would
    // otherwise race for the default 9229.
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistDir,
    "--env-file",
    envFile,
    "--show-interactive-dev-session=false",
    ...extraVars,
  ];
  const url = `http://127.0.0.1:${o.port}`;
  try {
    for (let attempt = 1; ; attempt++) {
      const proc = startProcess(process.execPath, args, QUIET_ENV);
      const { onOutput } = o;
      if (onOutput) {
        const forward = (chunk: Buffer) => onOutput(chunk.toString());
        proc.child.stdout?.on("data", forward);
        proc.child.stderr?.on("data", forward);
      }
      const exited = exitCode(proc);
      try {
        await waitForHealth(url, proc, o.timeoutMs ?? 60_000);
      } catch (error) {
        await proc.stop();
        if (attempt < START_ATTEMPTS && lostWorkerSocket(proc.output())) continue;
        throw error;
      }
      let stopped: Promise<void> | undefined;
      const stop = () => {
        stopped ??= proc.stop().finally(() => rm(secretsDir, { recursive: true, force: true }));
        return stopped;
      };
      return { url, stop, output: proc.output, exited };
    }
  } catch (error) {
    await rm(secretsDir, { recursive: true, force: true });
    throw error;
  }
}

/** How many times a start that lost a Worker's own socket is tried. */
const START_ATTEMPTS = 3;

/**
 * wrangler dev gives each Worker of the session a socket of its own on a port
 * the runtime picks, and binds the same port again when it restarts the runtime
 * during start-up; another process on the machine can take that port in
 * between ("Address already in use (socket "direct:1:default")": seen once in
 * three CI runs with the dashboard's Worker next to the gateway). The port the
 * caller chose (the entry socket) is not one of these, and its clash is never retried.
 */
export function lostWorkerSocket(output: string): boolean {
  return /Address already in use \(socket "direct:/.test(output);
}

/** `wrangler d1 migrations apply DB --local`, non-interactively, into `persistDir`. */
async function applyMigrations(persistDir: string): Promise<void> {
  const proc = startProcess(
    process.execPath,
    [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--config", CONFIG, "--persist-to", persistDir],
    QUIET_ENV,
  );
  const code = await exitCode(proc);
  if (code !== 0) {
    throw new Error(`wrangler d1 migrations apply failed (exit ${code})\n${proc.output()}`);
  }
}

/** The exit code, or null when the process died of a signal or could not start. Never rejects. */
function exitCode(proc: RunningProcess): Promise<number | null> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("error", () => resolve(null));
    child.once("exit", (code) => resolve(code));
  });
}

/**
 * Resolves once GET /health answers 200. A failed first build is fatal: wrangler
 * itself would keep running and wait for a file change.
 */
async function waitForHealth(url: string, proc: RunningProcess, timeoutMs: number): Promise<void> {
  let buildFailed = false;
  const probe = async () => {
    if (/Build failed/.test(proc.output())) {
      buildFailed = true;
      return true;
    }
    return healthOk(url);
  };
  await waitFor("gateway GET /health", probe, { timeoutMs, process: proc });
  if (buildFailed) throw new Error(`wrangler dev could not build the Worker\n${proc.output()}`);
}

async function healthOk(url: string): Promise<boolean> {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status === 200;
}

/** Fails fast when something already listens on the port: its /health would fool the wait. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `Port ${port} on 127.0.0.1 is already in use; stop whatever runs there or choose another port.`
            : `Cannot bind 127.0.0.1:${port}: ${error.message}`,
        ),
      );
    });
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The env file's lines. dotenv ends an unquoted value at `#` and wrangler
 * expands `$NAME`, so values keep to an alphabet where neither can happen
 * (JSON such as a JWK is fine; a newline, quote at the start, `#` or `$` is not).
 */
function secretLines(secrets: Record<string, string>): string {
  return Object.entries(secrets)
    .map(([key, value]) => {
      if (!NAME.test(key)) throw new Error(`Invalid secret name: ${key}`);
      if (!/^[^\s"'`#$\\](?:[^\r\n#$\\]*[^\s#$\\])?$/.test(value)) {
        throw new Error(
          `Secret ${key} has characters that an env file would change (newline, #, $, \\, leading quote)`,
        );
      }
      return `${key}=${value}\n`;
    })
    .join("");
}

function varArgs(vars: Record<string, string>, secrets: Record<string, string>): string[] {
  return Object.entries(vars).flatMap(([key, value]) => {
    if (!NAME.test(key)) throw new Error(`Invalid variable name: ${key}`);
    if (key in secrets) throw new Error(`${key} is given both as a secret and as a var`);
    // wrangler splits on the first ':' only, so values may contain ':'.
    return ["--var", `${key}:${value}`];
  });
}
