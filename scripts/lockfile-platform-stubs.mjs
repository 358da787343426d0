// Adds lock-file entries for other platforms' optional native packages.
//
// Why: the npm registry mirror these machines use serves only the linux-x64
// builds of some native packages (workerd, biome). `npm install` then leaves
// the other platforms' optional dependencies out of package-lock.json, and
// `npm ci` refuses such a lock file ("Missing: ... from lock file"). A stub
// entry (name, version, os, cpu, optional) is all `npm ci` needs: on a
// non-matching platform it skips the package without downloading it.
// Run after changing dependencies: `npm run lockfile:fix`.
import { readFileSync, writeFileSync } from "node:fs";

const LOCK = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const packages = lock.packages;

const PLATFORM = {
  os: {
    darwin: "darwin",
    linux: "linux",
    win32: "win32",
    windows: "win32",
    android: "android",
    freebsd: "freebsd",
  },
  cpu: { arm64: "arm64", x64: "x64", 64: "x64", arm: "arm", ia32: "ia32" },
};

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.map((part) => PLATFORM.os[part]).find(Boolean);
  const cpu = parts.map((part) => PLATFORM.cpu[part]).find(Boolean);
  const libc = parts.includes("musl") ? "musl" : undefined;
  return { os, cpu, libc };
}

/** Where Node would find `name` (at `version`, if given) from the package at `from`, or null. */
function resolveFrom(from, name, version) {
  let dir = from;
  while (true) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    const found = packages[candidate];
    // Node stops at the first match, whatever its version.
    if (found) return version === undefined || found.version === version ? candidate : null;
    if (!dir) return null;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut === -1 ? "" : dir.slice(0, cut);
  }
}

let added = 0;
for (const [location, meta] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const version = range.replace(/^[\^~=]/, "");
    if (resolveFrom(location, name, version)) continue;
    const { os, cpu, libc } = platformOf(name);
    if (!os || !cpu) continue; // not a platform build: leave it to npm
    // Put the stub beside a sibling that did install, so it resolves the same way.
    const sibling = Object.keys(meta.optionalDependencies)
      .map((other) => resolveFrom(location, other))
      .find(Boolean);
    const base = sibling ? sibling.slice(0, sibling.lastIndexOf("node_modules/")) : `${location}/`;
    const stub = { version, cpu: [cpu], os: [os], optional: true };
    if (libc) stub.libc = [libc];
    if (meta.dev) stub.dev = true;
    packages[`${base}node_modules/${name}`] = stub;
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile-platform-stubs: added ${added} entries`);
