// mcpgw's browser sign-in end to end: `mcpgw login --oauth` against the
// gateway under `wrangler dev` (its own authorization server, the development
// login on the consent page) prints the authorization URL; Debian's Chromium
// opens it, signs in and allows; the CLI receives the code on its loopback
// listener, stores the tokens (mode 0600), and `mcpgw invoke` calls a demo
// tool with them, renewing the access token by refresh once it has expired.
// The token serves its MCP endpoint only: REST commands and other endpoints
// are refused with a message that says what to do.
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemoServer } from "../../demo/server.ts";
import { type DevSecrets, devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort } from "../../scripts/processes.ts";
import { runCli, startCli } from "../support/cli.ts";
import { launchChromium, newContext } from "./browser.ts";

let gateway: LocalGateway;
let demo: DemoServer;
let browser: Browser;
let secrets: DevSecrets;
let home = "";
let persistDir = "";
const demoPath = "demo";

beforeAll(async () => {
  persistDir = await mkdtemp(join(tmpdir(), "mcpgw-oauth-gw-"));
  home = await mkdtemp(join(tmpdir(), "mcpgw-oauth-home-"));
  secrets = newDevSecrets();
  [gateway, demo, browser] = await Promise.all([
    (async () => startLocalGateway({ port: await freePort(), persistDir, secrets: { ...secrets } }))(),
    (async () => startDemoServer({ port: await freePort(), host: "127.0.0.1" }))(),
    launchChromium(),
  ]);
  const admin = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
  const created = await fetch(`${gateway.url}/api/v1/servers`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Demo", path: demoPath, endpoints: [{ url: demo.url }] }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([gateway?.stop(), demo?.close()]);
  for (const dir of [persistDir, home]) if (dir) await rm(dir, { recursive: true, force: true });
});

const env = () => ({ XDG_CONFIG_HOME: home, MCPGW_URL: gateway.url });
const credentialsFile = () => join(home, "mcpgw", "credentials.json");

interface StoredFile {
  gateways: Record<
    string,
    {
      token: string;
      method: string;
      refreshToken?: string;
      expiresAt?: string;
      oauth?: { clientId: string; resource: string };
    }
  >;
}

/** The first http URL the CLI prints on stderr (where --json keeps its announcements). */
function printedUrl(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${err}`)), 60_000);
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const found = /(http:\/\/\S+\/oauth\/authorize\S*)/.exec(err);
      if (found) {
        clearTimeout(timer);
        resolve(found[1] as string);
      }
    });
    child.on("exit", () => reject(new Error(`mcpgw exited before printing a URL; stderr: ${err}`)));
  });
}

function finished(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string }> {
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout })));
}

describe("mcpgw login --oauth (the gateway as authorization server, Chromium signs in)", () => {
  it("signs in through the browser, stores the tokens privately, and invokes a demo tool", async () => {
    const child = startCli(["login", "--oauth", "--server", demoPath, "--no-browser", "--json"], env());
    const done = finished(child);
    const url = new URL(await printedUrl(child));
    expect(url.origin).toBe(gateway.url);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("resource")).toBe(`${gateway.url}/${demoPath}/mcp`);
    expect(url.searchParams.get("redirect_uri")).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      await page.getByRole("heading", { name: /Allow .* to use the MCP gateway/ }).waitFor();
      await page.locator('input[name="username"]').fill(secrets.DEV_ADMIN_USERNAME);
      await page.locator('input[name="password"]').fill(secrets.DEV_ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Allow" }).click();
      await page.getByText("mcpgw is signed in").waitFor();
    } finally {
      await context.close();
    }
    const { code, stdout } = await done;
    expect(code, stdout).toBe(0);
    const report = JSON.parse(stdout) as { method: string; resource: string; expiresAt: string };
    expect(report.method).toBe("oauth");
    expect(report.resource).toBe(`${gateway.url}/${demoPath}/mcp`);
    expect(Date.parse(report.expiresAt)).toBeGreaterThan(Date.now());

    expect((await stat(credentialsFile())).mode & 0o777).toBe(0o600);
    const stored = (JSON.parse(await readFile(credentialsFile(), "utf8")) as StoredFile).gateways[
      gateway.url
    ];
    expect(stored?.method).toBe("oauth");
    expect(stored?.refreshToken).toBeTruthy();
    expect(stored?.oauth?.resource).toBe(`${gateway.url}/${demoPath}/mcp`);

    const invoked = await runCli(
      ["invoke", demoPath, "current_time", "--args", '{"timezone":"Asia/Tokyo"}', "--json"],
      { env: env() },
    );
    expect(invoked.code, invoked.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(invoked.stdout).content)).toContain("Asia/Tokyo");
  }, 180_000);

  it("renews an expired access token with the refresh token and keeps working", async () => {
    const file = JSON.parse(await readFile(credentialsFile(), "utf8")) as StoredFile;
    const before = file.gateways[gateway.url];
    if (!before) throw new Error("no stored login from the previous test");
    before.expiresAt = new Date(Date.now() - 1000).toISOString();
    await writeFile(credentialsFile(), JSON.stringify(file), { mode: 0o600 });

    const invoked = await runCli(
      ["invoke", demoPath, "current_time", "--args", '{"timezone":"UTC"}', "--json"],
      { env: env() },
    );
    expect(invoked.code, invoked.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(invoked.stdout).content)).toContain("UTC");
    const after = (JSON.parse(await readFile(credentialsFile(), "utf8")) as StoredFile).gateways[gateway.url];
    expect(after?.token).not.toBe(before.token);
    expect(after?.refreshToken).not.toBe(before.refreshToken);
    expect(Date.parse(after?.expiresAt ?? "")).toBeGreaterThan(Date.now());
    expect((await stat(credentialsFile())).mode & 0o777).toBe(0o600);
  }, 120_000);

  it("says what to do where the OAuth token cannot serve: REST commands and other endpoints", async () => {
    const rest = await runCli(["servers", "list"], { env: env() });
    expect(rest.code).toBe(1);
    expect(rest.stderr).toContain("MCP endpoints only");
    const aggregated = await runCli(["broadcast", "current_time"], { env: env() });
    expect(aggregated.code).toBe(1);
    expect(aggregated.stderr).toContain(`is for ${gateway.url}/${demoPath}/mcp, not ${gateway.url}/mcp`);
    expect(aggregated.stderr).toContain("mcpgw login --oauth");
  }, 60_000);
});
