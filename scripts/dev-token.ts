// `npm run -s token`: prints a bearer token for the development admin of the
// gateway that `npm start` runs (reads .dev.vars, calls the development login).
// GATEWAY_URL or PORT pick another gateway.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { devLogin } from "./dev-secrets.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const gatewayUrl = process.env.GATEWAY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;

try {
  const vars = parseEnv(await readFile(join(ROOT, ".dev.vars"), "utf8")) as Record<string, string>;
  const { DEV_ADMIN_USERNAME: username, DEV_ADMIN_PASSWORD: password } = vars;
  if (!username || !password)
    throw new Error(".dev.vars has no DEV_ADMIN_USERNAME/DEV_ADMIN_PASSWORD: run npm start once");
  console.log(await devLogin(gatewayUrl, username, password));
} catch (error) {
  console.error(`npm run token: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
