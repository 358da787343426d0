// The Connected accounts page in Debian's Chromium against the gateway under
// `wrangler dev` and a per-user upstream on loopback (oauth2-mock-server as
// its provider, a real MCP server requiring the provider's tokens): the link
// from a "connect your account" error opens the page, the user signs in and
// connects (the browser goes to the provider and back), the upstream then
// sees the user's own token; disconnect removes it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../scripts/build-dashboard.ts";
import { devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort } from "../../scripts/processes.ts";
import { type OAuthUpstream, startOAuthUpstream } from "../support/oauth-upstream.ts";
import { ConsoleWatch, launchChromium, newContext, screenshot } from "./browser.ts";
import { submitSignIn } from "./stack.ts";

const secrets = newDevSecrets();
let gateway: LocalGateway;
let upstream: OAuthUpstream;
let browser: Browser;
let page: Page;
let persistDir = "";
let token = "";
let serverId = "";
const logs = new ConsoleWatch();

beforeAll(async () => {
  await buildDashboard();
  persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-connections-"));
  [gateway, upstream, browser] = await Promise.all([
    (async () => startLocalGateway({ port: await freePort(), persistDir, secrets: { ...secrets } }))(),
    startOAuthUpstream(),
    launchChromium(),
  ]);
  token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
  const registered = await fetch(`${gateway.url}/api/v1/servers`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "Per-user upstream",
      path: "per-user",
      endpoints: [{ url: upstream.mcpUrl }],
      egress: upstream.egress(),
    }),
  });
  expect(registered.status, await registered.clone().text()).toBe(201);
  serverId = ((await registered.json()) as { id: string }).id;
  page = await (await newContext(browser)).newPage();
  logs.watch(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([gateway?.stop(), upstream?.stop()]);
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

/** tools/call whoami on /per-user/mcp with the admin's token: the JSON-RPC answer. */
async function whoami(): Promise<{ result?: { content: { text: string }[] }; error?: { code: number } }> {
  const response = await fetch(`${gateway.url}/per-user/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "whoami", arguments: {} },
    }),
  });
  return (await response.json()) as { result?: { content: { text: string }[] }; error?: { code: number } };
}

describe("connected accounts page", () => {
  it("connects from the link of a 'connect your account' error", async () => {
    const refused = (await whoami()) as { error?: { code: number; data?: { connectUrl?: string } } };
    expect(refused.error?.code).toBe(-32042);
    const link = refused.error?.data?.connectUrl ?? "";
    expect(link).toBe(`${gateway.url}/connections?connect=${serverId}`);

    upstream.signInAs("upstream-admin");
    await page.goto(link);
    await submitSignIn(page, secrets.DEV_ADMIN_PASSWORD);
    await page.getByRole("heading", { name: "Connected accounts" }).waitFor();
    const prompt = page.getByRole("heading", { name: /Connect your \S+ account/ });
    await prompt.waitFor();
    await screenshot(page, "connections-prompt");
    await page.getByRole("button", { name: "Connect Per-user upstream" }).first().click();
    // To the provider and back: the page says so and lists the connection.
    await page.getByText("Connected your account for Per-user upstream").waitFor();
    expect(new URL(page.url()).searchParams.get("connected")).toBe(serverId);
    const row = page.getByRole("row", { name: /Per-user upstream/ });
    await expect.poll(() => row.getByText("connected", { exact: true }).count()).toBe(1);
    await screenshot(page, "connections-connected");

    const answered = await whoami();
    expect(answered.result?.content[0]?.text).toBe("upstream-admin");
    expect(upstream.calls.at(-1)?.subject).toBe("upstream-admin");
  });

  it("disconnects", async () => {
    await page.getByRole("button", { name: "Disconnect Per-user upstream" }).click();
    const row = page.getByRole("row", { name: /Per-user upstream/ });
    await row.getByText("not connected", { exact: true }).waitFor();
    expect((await whoami()).error?.code).toBe(-32042);
    expect(logs.all()).toEqual([]);
  });
});
