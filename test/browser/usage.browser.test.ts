// The Usage page in Debian's Chromium with real data behind it: a real
// gateway under `wrangler dev`, server-everything, and MCP tool calls made
// through the gateway before the page is opened. The page and a server's
// tools page must show those calls. Screenshots go to test-results/dashboard/.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleWatch, launchChromium, newContext, screenshot } from "./browser.ts";
import { adminToken, type BrowserStack, startBrowserStack, submitSignIn } from "./stack.ts";

let stack: BrowserStack;
let browser: Browser;
let page: Page;
let token = "";
let serverId = "";
const logs = new ConsoleWatch();
const PATH = "usage-everything";
const CALLS = 4;

async function mcp(body: unknown, session?: string): Promise<Response> {
  return fetch(`${stack.gateway.url}/${PATH}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(session && { "mcp-session-id": session }),
    },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
  token = await adminToken(stack);
  const registered = await fetch(`${stack.gateway.url}/api/v1/servers`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Usage everything", path: PATH, endpoints: [{ url: stack.everythingUrl }] }),
  });
  expect(registered.status).toBe(201);
  serverId = ((await registered.json()) as { id: string }).id;

  // Real traffic: one session, CALLS calls of `echo`.
  const init = await mcp({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "usage", version: "1" } },
  });
  const session = init.headers.get("mcp-session-id") ?? "";
  await init.text();
  await (await mcp({ jsonrpc: "2.0", method: "notifications/initialized" }, session)).text();
  for (let id = 0; id < CALLS; id++) {
    const call = await mcp(
      {
        jsonrpc: "2.0",
        id: 10 + id,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "hi" } },
      },
      session,
    );
    expect(call.status).toBe(200);
    expect(await call.text()).toContain("hi");
  }

  const context = await newContext(browser);
  page = await context.newPage();
  logs.watch(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("usage page", () => {
  it("shows the calls made through the gateway: totals, charts, top tools and callers", async () => {
    await page.goto(`${stack.gateway.url}/sign-in`);
    await submitSignIn(page, stack.secrets.DEV_ADMIN_PASSWORD);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Usage" }).click();
    await page.getByRole("heading", { name: "Usage" }).waitFor();

    const tools = page.getByRole("table", { name: "Top tools" });
    const echoRow = tools.getByRole("row").filter({ hasText: "echo" });
    await echoRow.waitFor();
    expect(await echoRow.getByRole("cell").nth(0).textContent()).toBe(PATH);
    expect(await echoRow.getByRole("cell").nth(2).textContent()).toBe(String(CALLS));
    // Totals include initialize and the calls; no errors were made.
    expect(Number(await page.getByTestId("usage-calls").textContent())).toBeGreaterThanOrEqual(CALLS);
    expect(await page.getByTestId("usage-error-rate").textContent()).toBe("0.0%");
    await page.getByRole("img", { name: "Calls over time" }).waitFor();
    await page.getByRole("img", { name: "Latency p50 and p95 over time" }).waitFor();
    // The bars are drawn from the data: at least one bar for the minute of the calls.
    expect(await page.locator("svg[aria-label='Calls over time'] rect.bar").count()).toBeGreaterThan(0);
    const callers = page.getByRole("table", { name: "Top callers" });
    await callers.getByRole("row").first().waitFor();
    await screenshot(page, "usage");

    // Another window reloads the report.
    await page.getByLabel("Window").selectOption("24h");
    await echoRow.waitFor();
    expect(await echoRow.getByRole("cell").nth(2).textContent()).toBe(String(CALLS));
  });

  it("shows a server's recent usage on its tools page", async () => {
    await page.goto(`${stack.gateway.url}/servers/${serverId}/tools`);
    await page.getByRole("heading", { name: "Recent usage (last hour)" }).waitFor();
    const row = page.getByRole("table", { name: "Top tools" }).getByRole("row").filter({ hasText: "echo" });
    await row.waitFor();
    expect(await row.getByRole("cell").nth(1).textContent()).toBe(String(CALLS));
    await screenshot(page, "server-usage");
  });

  it("logged no console errors", () => {
    expect(logs.all()).toEqual([]);
  });
});
