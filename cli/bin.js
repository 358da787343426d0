#!/usr/bin/env node
// mcpgw launcher, plain JavaScript so any Node can start it. The CLI itself is
// TypeScript run by Node's type stripping (Node >= 22.18, like scripts/*.ts).
// On an older Node (e.g. 20) it re-runs itself with the Node 22 that this
// package installs (the `node` dev dependency, what `npm run` uses too).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// process.features.typescript is "strip" or "transform" where Node runs .ts files (22.10+ reports it).
const [major, minor] = process.versions.node.split(".").map(Number);
const stripsTypes =
  typeof process.features.typescript === "string" ||
  major >= 24 ||
  (major === 23 && minor >= 6) ||
  (major === 22 && minor >= 18);

if (stripsTypes) {
  await import("./run.ts");
} else {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const bundled = join(root, "node_modules", "node", "bin", "node");
  if (!existsSync(bundled)) {
    process.stderr.write(
      `mcpgw: needs Node 22.18 or newer (this is ${process.versions.node}); run npm ci in the gateway's repository, or upgrade Node\n`,
    );
    process.exit(1);
  }
  const result = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exit(result.status ?? 1);
}
