// The dashboard deployed apart from the gateway, as on Cloudflare Pages: built
// with VITE_API_BASE_URL naming the gateway and served from another origin.
// The gateway's ALLOWED_ORIGINS names that origin, so sign-in, the API and the
// live-health socket work across origins; a dashboard on an origin it does
// not name cannot even read the sign-in answer.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../scripts/build-dashboard.ts";
import { freePort } from "../../scripts/processes.ts";
import { ConsoleWatch, launchChromium, newContext, screenshot } from "./browser.ts";
import { type BrowserStack, startBrowserStack, submitSignIn } from "./stack.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** A static host like Pages: files from `root`, index.html for every other path. */
function staticHost(root: string, port: number): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = normalize(new URL(request.url ?? "/", "http://host").pathname).replace(/^(\.\.[/\\])+/, "");
    const file = extname(path) ? join(root, path) : join(root, "index.html");
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

let stack: BrowserStack;
let browser: Browser;
let outDir: string;
const hosts: Server[] = [];
let allowedOrigin = "";
let otherOrigin = "";

beforeAll(async () => {
  const [allowedPort, otherPort] = [await freePort(), await freePort()];
  allowedOrigin = `http://127.0.0.1:${allowedPort}`;
  otherOrigin = `http://127.0.0.1:${otherPort}`;
  [stack, browser] = await Promise.all([
    startBrowserStack({ ALLOWED_ORIGINS: allowedOrigin }),
    launchChromium(),
  ]);
  outDir = await mkdtemp(join(tmpdir(), "mcp-gateway-pages-"));
  await buildDashboard({ outDir, apiBaseUrl: stack.gateway.url });
  hosts.push(await staticHost(outDir, allowedPort), await staticHost(outDir, otherPort));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(hosts.map((host) => new Promise((resolve) => host.close(resolve))));
  await stack?.stop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("dashboard on its own origin (Cloudflare Pages)", () => {
  it("signs in, lists servers and goes live across origins when the gateway allows the origin", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const logs = new ConsoleWatch();
    logs.watch(page);
    await page.goto(`${allowedOrigin}/servers`);
    await submitSignIn(page, stack.secrets.DEV_ADMIN_PASSWORD);
    await page.getByRole("heading", { name: "Servers" }).waitFor();
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await page.getByRole("link", { name: "Connect", exact: true }).click();
    // Client configuration names the gateway, not the dashboard's origin.
    expect(await page.getByRole("region", { name: "Cursor" }).locator("pre").textContent()).toContain(
      `${stack.gateway.url}/mcp`,
    );
    await screenshot(page, "pages-origin-connect");
    expect(logs.all()).toEqual([]);
    await context.close();
  });

  it("cannot be used from an origin the gateway does not allow", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const logs = new ConsoleWatch();
    logs.watch(page);
    await page.goto(`${otherOrigin}/`);
    // Even the sign-in methods cannot be read; a pasted token cannot be checked either.
    await page.getByText("The gateway could not be reached").first().waitFor();
    expect(await page.getByRole("heading", { name: "Development login" }).count()).toBe(0);
    await page.getByLabel("Bearer token").fill("eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
    await page.getByRole("button", { name: "Sign in with token" }).click();
    await expect.poll(() => page.getByText("The gateway could not be reached").count()).toBe(2);
    expect(await page.getByRole("heading", { name: "Servers" }).count()).toBe(0);
    // The browser says why: the answers lacked CORS permission.
    expect(logs.take(/CORS policy|Failed to load resource|ERR_FAILED/).length).toBeGreaterThan(0);
    expect(logs.all()).toEqual([]);
    await context.close();
  });
});
