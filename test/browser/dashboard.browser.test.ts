// The dashboard in a real browser (Debian's Chromium via playwright-core)
// against a real gateway: sign in, register server-everything from the form
// (server-side field errors first), watch its health turn healthy over the
// live WebSocket without a reload, read its tools, disable and re-enable it,
// find one of its tools by search, edit the scopes, mint and revoke a token,
// and sign in with a narrow token that sees only its own server. No console
// errors except the refusals a step provokes on purpose. Screenshots go to
// test-results/dashboard/.
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { ConsoleWatch, LAPTOP, launchChromium, newContext, PHONE, screenshot } from "./browser.ts";
import { adminToken, type BrowserStack, startBrowserStack, submitSignIn } from "./stack.ts";

let stack: BrowserStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const logs = new ConsoleWatch();
/** A narrow personal access token minted in the tokens step, used by the last steps. */
let narrowToken = "";

/** The text of a locator, polled until it matches. */
async function eventually(locator: Locator, pattern: RegExp, timeout = 15_000): Promise<void> {
  await expect
    .poll(async () => (await locator.textContent()) ?? "", { timeout, interval: 250 })
    .toMatch(pattern);
}

function card(name: string): Locator {
  return page.getByRole("article", { name });
}

async function api(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.gateway.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
  context = await newContext(browser);
  page = await context.newPage();
  logs.watch(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("dashboard", () => {
  it("shows signed-out users only the sign-in page, and signs in with the development login", async () => {
    await page.goto(`${stack.gateway.url}/servers`);
    await page.getByRole("heading", { name: "Development login" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);
    await screenshot(page, "sign-in-light");

    await submitSignIn(page, "wrong-password-0123456789");
    await page.getByText("wrong user name or password").waitFor();
    expect(logs.take(/status of 401/)).toHaveLength(1);

    await submitSignIn(page, stack.secrets.DEV_ADMIN_PASSWORD);
    await page.getByRole("heading", { name: "Servers" }).waitFor();
    await page.getByText("No servers you may see yet.").waitFor();
    // The token lives in sessionStorage, never localStorage.
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem("mcpgw.token"),
      local: Object.keys(localStorage).filter((key) => key.includes("token")),
    }));
    expect(stored.session).toMatch(/^ey/);
    expect(stored.local).toEqual([]);
  });

  it("registers server-everything from the form, showing server-side errors next to their fields", async () => {
    await page.getByRole("link", { name: "Register server" }).click();
    await page.getByLabel("Name").fill("Everything");
    await page.getByLabel("Path", { exact: true }).fill("Everything Server");
    await page.getByLabel("Endpoint 1 URL").fill("not a url");
    await page.getByRole("button", { name: "Register" }).click();

    const path = page.getByLabel("Path", { exact: true });
    await expect.poll(() => path.getAttribute("aria-invalid")).toBe("true");
    const pathError = await page.locator(
      `#${(await path.getAttribute("aria-describedby"))?.split(" ").pop()}`,
    );
    expect(await pathError.textContent()).toMatch(/lowercase/);
    const url = page.getByLabel("Endpoint 1 URL");
    expect(await url.getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByText("must be an absolute http(s) URL").count()).toBe(1);
    expect(await page.getByLabel("Name").getAttribute("aria-invalid")).toBeNull();
    expect(logs.take(/status of 422/)).toHaveLength(1);
    await screenshot(page, "register-errors-light");

    await path.fill("everything");
    await url.fill(stack.everythingUrl);
    await page
      .getByLabel("Description")
      .fill("The MCP reference server: echo, add, long-running operations.");
    await page.getByLabel("Tags").fill("reference, testing");
    await page.getByRole("button", { name: "Register" }).click();
    await card("Everything").waitFor({ timeout: 30_000 });
    expect(await card("Everything").getByText("/everything/mcp").count()).toBe(1);
  });

  it("turns the new server's health to healthy over the live socket, without a reload", async () => {
    // (Page functions as strings: this file is type-checked without the DOM library.)
    await page.evaluate("window.notReloaded = true");
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await eventually(card("Everything").locator(".health-status"), /^healthy$/, 45_000);
    await eventually(card("Everything").locator(".health-details"), /\d+ ms.*checked/);
    expect(await page.evaluate("window.notReloaded")).toBe(true);
    expect(
      await card("Everything")
        .getByRole("link", { name: /tools of Everything/ })
        .textContent(),
    ).toMatch(/^\d+ tools$/);
    await screenshot(page, "servers-light");
  });

  it("lists the server's tools with description and input schema", async () => {
    await card("Everything")
      .getByRole("link", { name: /tools of Everything/ })
      .click();
    await page.getByRole("heading", { name: "Tools of Everything" }).waitFor();
    const echo = page.getByRole("article", { name: "echo" });
    await echo.waitFor();
    expect(await echo.textContent()).toMatch(/Echoes back the input/i);
    expect(await echo.getByRole("cell", { name: /message/ }).count()).toBeGreaterThan(0);
    await echo.getByText("Input schema (JSON)").click();
    expect(await echo.locator("pre").textContent()).toContain('"message"');
    await screenshot(page, "tools-light");
    await page.goBack();
    await card("Everything").waitFor();
  });

  it("edits the server, sending only what changed", async () => {
    await card("Everything").getByRole("link", { name: "Edit" }).click();
    await page.getByRole("heading", { name: "Edit Everything" }).waitFor();
    expect(await page.getByLabel("Endpoint 1 URL").inputValue()).toBe(stack.everythingUrl);
    await page.getByLabel("Description").fill("The MCP reference server, edited from the dashboard.");
    await page.getByRole("button", { name: "Save" }).click();
    await card("Everything").getByText("edited from the dashboard").waitFor();
  });

  it("disables and re-enables the server with its switch", async () => {
    const toggle = card("Everything").getByRole("switch", { name: "Enabled: Everything" });
    expect(await toggle.getAttribute("aria-checked")).toBe("true");
    await toggle.click();
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("false");
    await eventually(page.getByRole("button", { name: /^Disabled/ }), /1$/);

    const token = await adminToken(stack);
    const listed = (await (await api("/servers?path=everything", token)).json()) as {
      items: { enabled: boolean }[];
    };
    expect(listed.items[0]?.enabled).toBe(false);

    await page.getByRole("button", { name: /^Disabled/ }).click();
    await card("Everything").waitFor();
    await page.getByRole("button", { name: /^Enabled/ }).click();
    expect(await card("Everything").count()).toBe(0);
    await page.getByRole("button", { name: /^All/ }).click();

    await toggle.click();
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("true");
    const after = (await (await api("/servers?path=everything", token)).json()) as {
      items: { enabled: boolean }[];
    };
    expect(after.items[0]?.enabled).toBe(true);
  });

  it("finds one of its tools by search and says why it matched", async () => {
    await page.getByRole("link", { name: "Search" }).click();
    await page.getByLabel("Search tools and servers").fill("echo back the message");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const hit = page.locator(".hit").filter({ has: page.getByRole("link", { name: "echo", exact: true }) });
    await hit.waitFor({ timeout: 15_000 });
    expect(await hit.textContent()).toContain("on Everything");
    expect(await hit.locator(".why").textContent()).toMatch(/Matched in .*name.* by keyword/);
    await screenshot(page, "search-light");
  });

  it("edits the scopes configuration, showing the server's errors with line numbers", async () => {
    await page.getByRole("link", { name: "Access" }).click();
    const editor = page.getByLabel(/Scopes YAML/);
    await editor.waitFor();
    const document = parseDocument(await editor.inputValue());
    // The admin group also confers a narrow scope: only the `everything` server.
    document.addIn(["group_mappings", "mcp-registry-admin"], "team-everything");
    document.setIn(["ui_scopes", "team-everything"], { list_service: ["everything"], bogus_action: ["all"] });
    document.setIn(
      ["server_scopes", "team-everything"],
      [{ server: "everything", methods: ["*"], tools: ["*"] }],
    );
    const invalid = document.toString();
    await editor.fill(invalid);
    await page.getByRole("button", { name: "Save" }).click();
    const errorLine = page.getByRole("button", { name: /^Line \d+$/ }).first();
    await errorLine.waitFor();
    const reported = Number((await errorLine.textContent())?.replace("Line ", ""));
    const bogusLine = invalid.split("\n").findIndex((line) => line.includes("bogus_action")) + 1;
    // The gateway points at the unknown action's entry (its key or its value).
    expect([bogusLine, bogusLine + 1]).toContain(reported);
    expect(await page.getByRole("alert").first().textContent()).toMatch(/bogus_action.*unknown action/);
    expect(logs.take(/status of 422/)).toHaveLength(1);
    await errorLine.click();
    const selected = await editor.evaluate((element) => {
      const textarea = element as unknown as { value: string; selectionStart: number; selectionEnd: number };
      return textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
    });
    expect(selected).toBe(invalid.split("\n")[reported - 1]);
    await screenshot(page, "access-errors-light");

    const fixed = parseDocument(invalid);
    fixed.deleteIn(["ui_scopes", "team-everything", "bogus_action"]);
    fixed.setIn(["ui_scopes", "team-everything", "health_check_service"], fixed.createNode(["everything"]));
    await editor.fill(fixed.toString());
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText(/Saved as revision \d+/).waitFor();
  });

  it("mints a token from held scopes, shows it once, lists it and revokes it", async () => {
    // Sign-in state was captured before the scopes changed: reload to see the new scope.
    await page.reload();
    await page.getByRole("link", { name: "Tokens" }).click();
    await page.getByRole("heading", { name: "New token" }).waitFor();
    await page.getByLabel("Name").fill("throwaway");
    await page.getByRole("checkbox", { name: "mcp-servers-unrestricted/execute" }).check();
    await page.getByLabel("Lifetime").selectOption({ label: "1 day" });
    await page.getByRole("button", { name: "Mint token" }).click();
    const shown = page.getByRole("region", { name: /Token “throwaway” minted/ });
    await shown.waitFor();
    const token = (await shown.locator("pre").textContent()) ?? "";
    expect(token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await api("/auth/whoami", token)).status).toBe(200);
    await screenshot(page, "tokens-light");
    await shown.getByRole("button", { name: "I have copied it" }).click();
    expect(await page.getByText(token).count()).toBe(0);

    const row = page.getByRole("row", { name: /throwaway/ });
    await eventually(row, /active/);
    await row.getByRole("button", { name: "Revoke throwaway" }).click();
    await eventually(row, /revoked/);
    await expect.poll(async () => (await api("/auth/whoami", token)).status, { timeout: 10_000 }).toBe(401);

    // The narrow token for the last steps: only the team scope.
    await page.getByLabel("Name").fill("team-laptop");
    await page.getByRole("checkbox", { name: "team-everything" }).check();
    await page.getByRole("button", { name: "Mint token" }).click();
    const minted = page.getByRole("region", { name: /Token “team-laptop” minted/ });
    narrowToken = (await minted.locator("pre").textContent()) ?? "";
    expect(narrowToken).toMatch(/^ey/);
    await minted.getByRole("button", { name: "I have copied it" }).click();
  });

  it("gives ready-to-paste client configuration for a server and for /mcp", async () => {
    await page.getByRole("link", { name: "Connect", exact: true }).click();
    await page.getByLabel("Endpoint").selectOption({ label: "Everything (/everything/mcp)" });
    await page.getByLabel("Token to put in the configuration").fill("tok123");
    const claudeCode = await page.getByRole("region", { name: "Claude Code" }).locator("pre").textContent();
    expect(claudeCode).toContain(
      `claude mcp add --transport http everything '${stack.gateway.url}/everything/mcp'`,
    );
    expect(claudeCode).toContain("'Authorization: Bearer tok123'");
    // The same configuration from the command line (cli/, the same snippet code).
    await expect
      .poll(() => page.getByRole("region", { name: "Claude Code" }).textContent())
      .toContain("npx mcpgw config claude-code --server everything");
    const vscode = JSON.parse(
      (await page.getByRole("region", { name: "VS Code" }).locator("pre").textContent()) ?? "",
    );
    expect(vscode.servers.everything).toEqual({
      type: "http",
      url: `${stack.gateway.url}/everything/mcp`,
      headers: { Authorization: "Bearer tok123" },
    });
    const cursor = JSON.parse(
      (await page.getByRole("region", { name: "Cursor" }).locator("pre").textContent()) ?? "",
    );
    expect(cursor.mcpServers.everything.headers.Authorization).toBe("Bearer tok123");
    await page.getByLabel("Endpoint").selectOption({ label: "All servers (aggregated /mcp)" });
    const desktop = JSON.parse(
      (await page.getByRole("region", { name: "Claude Desktop" }).locator("pre").textContent()) ?? "",
    );
    expect(desktop.mcpServers["mcp-gateway"].args).toContain(`${stack.gateway.url}/mcp`);
    await screenshot(page, "connect-light");
  });

  it("remembers the dark theme and the collapsed sidebar", async () => {
    await page.getByRole("link", { name: "Servers", exact: true }).click();
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await page.getByRole("button", { name: "Collapse sidebar" }).click();
    await page.reload();
    await card("Everything").waitFor();
    expect(await page.evaluate("document.documentElement.dataset.theme")).toBe("dark");
    await page.getByRole("button", { name: "Expand sidebar" }).waitFor();
    await screenshot(page, "servers-dark-collapsed");
    await page.getByRole("button", { name: "Expand sidebar" }).click();
    await eventually(card("Everything").locator(".health-status"), /^healthy$/);
    await screenshot(page, "servers-dark");
    await card("Everything")
      .getByRole("link", { name: /tools of Everything/ })
      .click();
    await page.getByRole("article", { name: "echo" }).waitFor();
    await screenshot(page, "tools-dark");
  });

  it("shows a user with a narrow token only their server and only the buttons they may press", async () => {
    const token = await adminToken(stack);
    // A second server the narrow user must not see.
    const other = await api("/servers", token, {
      method: "POST",
      body: JSON.stringify({
        name: "Other",
        path: "other",
        endpoints: [{ url: stack.everythingUrl }],
      }),
    });
    expect(other.status).toBe(201);

    const phone = await newContext(browser, PHONE);
    const narrow = await phone.newPage();
    logs.watch(narrow);
    await narrow.goto(`${stack.gateway.url}/`);
    await narrow.getByLabel("Bearer token").fill(narrowToken);
    await narrow.getByRole("button", { name: "Sign in with token" }).click();
    const only = narrow.getByRole("article", { name: "Everything" });
    await only.waitFor();
    expect(await narrow.getByRole("article").count()).toBe(1);
    expect(await narrow.getByRole("article", { name: "Other" }).count()).toBe(0);
    // May list and refresh it; may not register, toggle, edit or delete.
    expect(await narrow.getByRole("link", { name: "Register server" }).count()).toBe(0);
    expect(await only.getByRole("switch").count()).toBe(0);
    expect(await only.getByRole("link", { name: "Edit" }).count()).toBe(0);
    expect(await only.getByRole("button", { name: "Delete" }).count()).toBe(0);
    expect(await only.getByRole("button", { name: "Refresh" }).count()).toBe(1);
    await eventually(only.locator(".health-status"), /^healthy$/);
    await screenshot(narrow, "servers-narrow-phone");

    await narrow.getByRole("link", { name: "Access" }).click();
    await narrow.getByRole("heading", { name: "Your access" }).waitFor();
    expect(await narrow.getByRole("heading", { name: "Scopes configuration" }).count()).toBe(0);
    expect(await narrow.getByText("list_service on everything").count()).toBe(1);
    // A personal access token cannot mint tokens: the form is not offered.
    await narrow.getByRole("link", { name: "Tokens" }).click();
    await narrow.getByText(/cannot mint tokens/).waitFor();
    expect(await narrow.getByRole("button", { name: "Mint token" }).count()).toBe(0);
    await screenshot(narrow, "tokens-narrow-phone");
    await phone.close();
  });

  it("works at phone width for the admin too", async () => {
    await page.setViewportSize(PHONE);
    await page.getByRole("link", { name: "Servers", exact: true }).click();
    await card("Everything").waitFor();
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "servers-dark-phone");
    await page.setViewportSize(LAPTOP);
  });

  it("deletes a server after confirmation", async () => {
    await page.getByRole("button", { name: /^All/ }).click();
    const other = card("Other");
    await other.waitFor();
    await other.getByRole("button", { name: "Delete" }).click();
    await other.getByRole("button", { name: "Yes, delete" }).click();
    await expect.poll(() => other.count()).toBe(0);
  });

  it("logged no console errors beyond the ones provoked on purpose", () => {
    expect(logs.all()).toEqual([]);
  });
});
