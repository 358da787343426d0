// The federation page in Debian's Chromium against a real gateway: add a
// source (a loopback registry shaped like the official one), see a refused
// field next to its input, sync now, read the counts and the reason for the
// skipped entry, then find the imported server with its provenance badge and
// export its server.json. No console errors except the provoked 422.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OfficialRegistry, startOfficialRegistry } from "../support/official-registry.ts";
import { ConsoleWatch, launchChromium, newContext, screenshot } from "./browser.ts";
import { type BrowserStack, startBrowserStack, submitSignIn } from "./stack.ts";

let stack: BrowserStack;
let browser: Browser;
let page: Page;
let registry: OfficialRegistry;
const logs = new ConsoleWatch();

beforeAll(async () => {
  [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
  registry = await startOfficialRegistry(stack.everythingUrl);
  const context = await newContext(browser);
  page = await context.newPage();
  logs.watch(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await registry?.close();
});

describe("federation page", () => {
  it("adds a source, syncs it, shows counts and reasons, and the imported server's provenance", async () => {
    await page.goto(`${stack.gateway.url}/sign-in`);
    await submitSignIn(page, stack.secrets.DEV_ADMIN_PASSWORD);
    await page.getByRole("heading", { name: "Servers" }).waitFor();

    await page.getByRole("link", { name: "Federation" }).click();
    await page.getByRole("heading", { name: "Federation", level: 1 }).waitFor();
    await page.getByLabel("Name").fill("Acme registry");
    await page.getByLabel("Registry URL").fill("ftp://nowhere");
    await page.getByRole("button", { name: "Add source" }).click();
    const url = page.getByLabel("Registry URL");
    await expect.poll(() => url.getAttribute("aria-invalid")).toBe("true");
    expect(logs.take(/status of 422/)).toHaveLength(1);

    await url.fill(registry.url);
    await page.getByRole("button", { name: "Add source" }).click();
    const source = page.getByRole("article", { name: "Source Acme registry" });
    await source.getByText("Not synchronised yet.").waitFor();
    await source.getByRole("button", { name: "Sync now" }).click();
    const status = source.getByRole("status", { name: "Last sync of Acme registry" });
    await expect
      .poll(async () => (await status.textContent()) ?? "")
      .toMatch(/partial.*imported 2.*skipped 2/s);
    const rows = source.getByRole("table", { name: "Entries of Acme registry" }).getByRole("row");
    await expect.poll(() => rows.count()).toBe(5);
    expect(await rows.filter({ hasText: "local-only" }).textContent()).toMatch(/skipped.*only packages/s);
    await screenshot(page, "federation-synced");

    await page.getByRole("link", { name: "Servers", exact: true }).click();
    const card = page.getByRole("article", { name: "everything" });
    await card.getByText("Imported from Acme registry: io.github.acme/everything@3.0.0").waitFor();
    expect(await card.getByRole("link", { name: "Edit" }).count()).toBe(0);
    await card.getByRole("button", { name: "server.json" }).click();
    await expect
      .poll(async () => (await card.locator("pre").textContent()) ?? "")
      .toMatch(/"name": "io\.github\.acme\/everything"[\s\S]*"remotes"/);
    await screenshot(page, "federation-provenance");
    expect(logs.all()).toEqual([]);
  });
});
