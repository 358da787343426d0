// The virtual-server builder in a real browser (Debian's Chromium) against a
// real gateway and server-everything: search the catalog, pick two tools,
// expose both under one name (the gateway's 409 shows next to the second
// pick), rename, create, then list and call the result through /v/{name}/mcp
// with the SDK v2 client. Disable and delete from the list. Then take a
// found tool's server whole (all its tools, resources and prompts) and see
// through the SDK v2 client that it looks like the server itself.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleWatch, launchChromium, newContext, screenshot } from "./browser.ts";
import { adminToken, type BrowserStack, startBrowserStack, submitSignIn } from "./stack.ts";

let stack: BrowserStack;
let browser: Browser;
let page: Page;
let token = "";
const logs = new ConsoleWatch();

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.gateway.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
  token = await adminToken(stack);
  const registered = await api("/servers", {
    method: "POST",
    body: JSON.stringify({
      name: "Everything",
      path: "everything",
      endpoints: [{ url: stack.everythingUrl }],
    }),
  });
  expect(registered.status, await registered.clone().text()).toBe(201);
  page = await (await newContext(browser)).newPage();
  logs.watch(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("virtual servers page", () => {
  it("builds a virtual server by searching and picking tools", async () => {
    await page.goto(`${stack.gateway.url}/virtual-servers`);
    await submitSignIn(page, stack.secrets.DEV_ADMIN_PASSWORD);
    await page.getByRole("link", { name: "Virtual servers" }).click();
    await page.getByRole("heading", { name: "Virtual servers" }).waitFor();
    await page.getByText("No virtual servers yet.").waitFor();

    await page.getByLabel("Name", { exact: true }).fill("helper");
    const search = page.getByLabel("Search tools to add");
    await search.fill("echo");
    await search.press("Enter");
    await page.getByRole("button", { name: "Add echo from everything" }).click();
    await page.getByRole("button", { name: "Add echo from everything" }).getByText("Added").waitFor();
    await search.fill("sum of two numbers");
    await page.getByRole("button", { name: "Find tools" }).click();
    await page.getByRole("button", { name: "Add get-sum from everything" }).click();
    expect(await page.getByRole("list", { name: "Chosen tools" }).getByRole("listitem").count()).toBe(2);

    // Both exposed as "echo": the gateway refuses, and says so next to the second pick.
    const second = page.getByLabel("get-sum on everything, exposed as");
    await second.fill("echo");
    await page.getByRole("button", { name: "Create virtual server" }).click();
    await expect.poll(() => second.getAttribute("aria-invalid")).toBe("true");
    await page.getByText('tool name "echo" is used twice').waitFor();
    expect(logs.take(/status of 409/)).toHaveLength(1);
    await screenshot(page, "virtual-server-conflict");

    await second.fill("add");
    await page.getByRole("button", { name: "Create virtual server" }).click();
    const item = page.locator('[data-virtual="helper"]');
    await item.waitFor();
    expect(await item.textContent()).toContain("/v/helper/mcp");
    expect(await item.textContent()).toContain("add (everything/get-sum)");
    await screenshot(page, "virtual-server-created");
    expect(logs.all()).toEqual([]);
  });

  it("serves what was built at /v/{name}/mcp", async () => {
    const client = new Client(
      { name: "browser-check", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${stack.gateway.url}/v/helper/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(["add", "echo"]);
    const sum = await client.callTool({ name: "add", arguments: { a: 20, b: 22 } });
    expect(JSON.stringify(sum.content)).toContain("42");
    await client.close();
  });

  it("disables and deletes from the list", async () => {
    const item = page.locator('[data-virtual="helper"]');
    await item.getByRole("button", { name: "Disable" }).click();
    await expect.poll(async () => (await item.textContent()) ?? "").toContain("disabled");
    await item.getByRole("button", { name: "Delete helper" }).click();
    await page.getByText("No virtual servers yet.").waitFor();
    expect(((await (await api("/virtual-servers")).json()) as { items: unknown[] }).items).toEqual([]);
    expect(logs.all()).toEqual([]);
  });

  it("takes a found tool's server whole, with its resources and prompts", async () => {
    await page.getByLabel("Name", { exact: true }).fill("everything-all");
    const search = page.getByLabel("Search tools to add");
    await search.fill("echo");
    await search.press("Enter");
    // Every hit of the server offers it; once taken, none does.
    const whole = page.getByRole("button", { name: "Add all tools of everything" });
    await whole.first().click();
    await whole.last().getByText("Whole server added").waitFor();
    const chosen = page.getByRole("list", { name: "Chosen tools" });
    await chosen.getByText("All tools of everything, present and future, under their own names").waitFor();
    await chosen.getByLabel("Also all resources of everything").check();
    await chosen.getByLabel("Also all prompts of everything").check();
    await page.getByRole("button", { name: "Create virtual server" }).click();
    const item = page.locator('[data-virtual="everything-all"]');
    await item.waitFor();
    expect(await item.textContent()).toContain(
      "all tools of everything, all resources of everything, all prompts of everything",
    );
    expect(await item.textContent()).toContain("0 tools + 1 whole server");
    await screenshot(page, "virtual-server-whole");

    const stored = (await (await api("/virtual-servers")).json()) as {
      items: { name: string; tools: unknown[]; resources: unknown[]; prompts: unknown[] }[];
    };
    expect(stored.items.find((entry) => entry.name === "everything-all")).toMatchObject({
      tools: [{ server: "everything", tool: "*" }],
      resources: [{ server: "everything", uri: "*" }],
      prompts: [{ server: "everything", prompt: "*" }],
    });

    const connect = async (path: string) => {
      const client = new Client(
        { name: "browser-check", version: "1.0.0" },
        { versionNegotiation: { mode: { pin: "2026-07-28" } } },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${stack.gateway.url}${path}`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      return client;
    };
    const [virtual, direct] = await Promise.all([
      connect("/v/everything-all/mcp"),
      connect("/everything/mcp"),
    ]);
    const names = (items: { name: string }[]) => items.map((entry) => entry.name).sort();
    expect(names((await virtual.listTools()).tools)).toEqual(names((await direct.listTools()).tools));
    expect(names((await virtual.listPrompts()).prompts)).toEqual(names((await direct.listPrompts()).prompts));
    const sum = await virtual.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
    expect(JSON.stringify(sum.content)).toContain("3");
    await Promise.all([virtual.close(), direct.close()]);
    expect(logs.all()).toEqual([]);
  });
});
