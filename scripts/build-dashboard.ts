// Builds the dashboard (dashboard/, Vite + React) into dashboard/dist, the
// folder the gateway serves (wrangler.toml [assets]). Skips the build when
// nothing that goes into it changed since the last one (sources, the lock
// file, VITE_API_BASE_URL), so `npm start` stays fast. Node-only.
//   node scripts/build-dashboard.ts [--force]     (npm run build:dashboard)
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DASHBOARD = join(ROOT, "dashboard");
export const DASHBOARD_DIST = join(DASHBOARD, "dist");
const STAMP = join(ROOT, "node_modules", ".cache", "mcp-gateway", "dashboard-build.json");

export interface DashboardBuildOptions {
  /** Build even when the inputs did not change. */
  force?: boolean;
  /** Where to build; default dashboard/dist. Other folders are always built (no stamp). */
  outDir?: string;
  /** The gateway origin the dashboard calls; default VITE_API_BASE_URL, else same origin. */
  apiBaseUrl?: string;
}

export interface DashboardBuild {
  built: boolean;
  outDir: string;
  ms: number;
}

/** Every file that goes into the build, with its content, hashed in a stable order. */
async function inputsHash(apiBaseUrl: string): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`api:${apiBaseUrl}\n`);
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== DASHBOARD_DIST && entry.name !== "node_modules") await walk(path);
      } else {
        files.push(path);
      }
    }
  };
  await walk(DASHBOARD);
  files.push(join(ROOT, "package-lock.json"));
  for (const file of files.sort()) {
    hash.update(`${relative(ROOT, file)}\n`);
    hash.update(await readFile(file));
  }
  return hash.digest("hex");
}

async function distComplete(outDir: string): Promise<boolean> {
  return readFile(join(outDir, "index.html")).then(
    () => true,
    () => false,
  );
}

export async function buildDashboard(options: DashboardBuildOptions = {}): Promise<DashboardBuild> {
  const started = performance.now();
  const outDir = options.outDir ?? DASHBOARD_DIST;
  const apiBaseUrl = options.apiBaseUrl ?? process.env.VITE_API_BASE_URL ?? "";
  const stamped = outDir === DASHBOARD_DIST;
  const digest = await inputsHash(apiBaseUrl);
  if (stamped && !options.force && (await distComplete(outDir))) {
    const previous = await readFile(STAMP, "utf8").catch(() => "");
    if (previous === digest) return { built: false, outDir, ms: Math.round(performance.now() - started) };
  }
  const { build } = await import("vite");
  // Vite and the React plugin pick development builds when NODE_ENV says so
  // (a test run sets it to "test"); what ships is always the production build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  await build({
    configFile: join(DASHBOARD, "vite.config.ts"),
    logLevel: "warn",
    mode: "production",
    build: { outDir, emptyOutDir: true },
    define: { "import.meta.env.VITE_API_BASE_URL": JSON.stringify(apiBaseUrl) },
  }).finally(() => {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  });
  if (stamped) {
    await mkdir(dirname(STAMP), { recursive: true });
    await writeFile(STAMP, digest);
  }
  return { built: true, outDir, ms: Math.round(performance.now() - started) };
}

/** Sizes of the built JS and CSS, raw and gzipped (what a browser downloads). */
export async function dashboardSizes(
  outDir: string = DASHBOARD_DIST,
): Promise<{ file: string; bytes: number; gzipBytes: number }[]> {
  const assets = join(outDir, "assets");
  const names = (await readdir(assets)).filter((name) => /\.(js|css)$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => {
      const content = await readFile(join(assets, name));
      return {
        file: `assets/${name}`,
        bytes: content.length,
        gzipBytes: gzipSync(content, { level: 9 }).length,
      };
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await buildDashboard({ force: process.argv.includes("--force") });
  console.log(
    result.built
      ? `dashboard built into ${relative(ROOT, result.outDir)} in ${result.ms} ms`
      : "dashboard unchanged since the last build",
  );
  for (const { file, bytes, gzipBytes } of await dashboardSizes(result.outDir)) {
    console.log(`  ${file}  ${(bytes / 1024).toFixed(1)} kB, gzip ${(gzipBytes / 1024).toFixed(1)} kB`);
  }
}
