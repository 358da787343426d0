// The agents page and the star widget in a real browser (Debian's Chromium via
// playwright-core) against a real gateway under `wrangler dev`: register an
// agent by pasting its card (the gateway's field errors appear beside the
// JSON first), see its skills, trust badge and visibility, switch it off,
// rate agents and a server with stars, and sort by rating. No console errors
// except the 422 the bad card provokes. Screenshots go to test-results/dashboard/.
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cardNamed, helloWorldCard } from "../support/a2a-cards.ts";
import { ConsoleWatch, launchChromium, newContext, screenshot } from "./browser.ts";
import { adminToken, type BrowserStack, startBrowserStack, submitSignIn } from "./stack.ts";

let stack: BrowserStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token = "";
const logs = new ConsoleWatch();

function card(name: string): Locator {
  return page.getByRole("article", { name });
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
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
  token = await adminToken(stack);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("agents and ratings in the dashboard", () => {
  it("signs in and opens the agents page from the navigation", async () => {
    await page.goto(`${stack.gateway.url}/servers`);
    await submitSignIn(page, stack.secrets.DEV_ADMIN_PASSWORD);
    await page.getByRole("heading", { name: "Servers" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
    await page.getByRole("heading", { name: "Agents" }).waitFor();
    await page.getByText("No agents you may see yet.").waitFor();
  });

  it("registers an agent by pasting its card, showing the gateway's field errors beside the JSON first", async () => {
    await page.getByRole("button", { name: "Register agent" }).click();
    const form = page.getByRole("form", { name: "Register agent" });
    await form.getByLabel("Path").fill("hello-agent");
    const bad: Record<string, unknown> = { ...helloWorldCard(), skills: "everything" };
    delete bad.name;
    await form.getByLabel("Agent Card (JSON)").fill(JSON.stringify(bad, null, 2));
    await form.getByRole("button", { name: "Register", exact: true }).click();
    const problems = form.getByRole("list", { name: "Problems in the card" });
    await problems.waitFor();
    const text = (await problems.textContent()) ?? "";
    expect(text).toContain("/name");
    expect(text).toContain("required");
    expect(text).toContain("/skills");
    expect(logs.take(/status of 422/)).toHaveLength(1);
    await screenshot(page, "agents-card-errors");

    await form.getByLabel("Agent Card (JSON)").fill("{ not json");
    await form.getByRole("button", { name: "Register", exact: true }).click();
    await form.getByText("The card is not valid JSON").waitFor();

    await form.getByLabel("Agent Card (JSON)").fill(JSON.stringify(helloWorldCard(), null, 2));
    await form.getByRole("button", { name: "Register", exact: true }).click();
    const agent = card("Hello World Agent");
    await agent.waitFor();
    expect(await page.getByRole("form", { name: "Register agent" }).count()).toBe(0);
    await agent.getByText("Returns hello world", { exact: true }).waitFor();
    expect(await agent.locator(".trust-badge").textContent()).toBe("Unverified");
    expect(await agent.locator(".visibility").textContent()).toBe("public");
  });

  it("switches an agent off and on", async () => {
    const agent = card("Hello World Agent");
    const toggle = agent.getByRole("switch", { name: "Enabled: Hello World Agent" });
    await toggle.click();
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("false");
    const listed = (await (await api("/agents")).json()) as { items: { enabled: boolean }[] };
    expect(listed.items[0]?.enabled).toBe(false);
    await toggle.click();
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("true");
  });

  it("rates agents with stars and sorts them by rating", async () => {
    const second = await api("/agents", {
      method: "POST",
      body: JSON.stringify({
        path: "analyst-agent",
        card: cardNamed("Analyst Agent", [
          { id: "analyse", name: "Analyse data", description: "Finds trends", tags: ["data"] },
        ]),
        trustLevel: "verified",
        visibility: "group",
        groups: ["analysts"],
      }),
    });
    expect(second.status).toBe(201);
    const secondId = ((await second.json()) as { id: string }).id;
    await page.reload();
    const hello = card("Hello World Agent");
    await hello.waitFor();
    expect(await card("Analyst Agent").locator(".trust-badge").textContent()).toBe("Verified");
    expect(await card("Analyst Agent").locator(".visibility").textContent()).toBe("group (analysts)");

    await hello.getByRole("button", { name: "4 stars" }).click();
    await expect.poll(() => hello.getByTestId("rating-summary").textContent()).toBe("4.0 ★ (1 rating)");
    await hello.getByText("Yours: 4").waitFor();
    expect(await hello.getByRole("button", { name: "4 stars" }).getAttribute("aria-pressed")).toBe("true");

    // Another rating arrives through the API; after a reload the mean and your rating are shown.
    const rated = await api(`/agents/${secondId}/rating`, {
      method: "POST",
      body: JSON.stringify({ rating: 5 }),
    });
    expect(rated.status).toBe(200);
    await page.reload();
    await card("Hello World Agent").getByText("Yours: 4").waitFor();
    const names = () => page.locator("article h3").allTextContents();
    expect(await names()).toEqual(["Analyst Agent", "Hello World Agent"]);
    // Hello World re-rated 2: lower than Analyst (5), so rating order keeps Analyst first.
    await card("Hello World Agent").getByRole("button", { name: "2 stars" }).click();
    await expect
      .poll(() => card("Hello World Agent").getByTestId("rating-summary").textContent())
      .toBe("2.0 ★ (1 rating)");
    await page.getByLabel("Sort by").selectOption("rating");
    expect(await names()).toEqual(["Analyst Agent", "Hello World Agent"]);
    await card("Analyst Agent").getByRole("button", { name: "1 star" }).click();
    await expect
      .poll(() => card("Analyst Agent").getByTestId("rating-summary").textContent())
      .toBe("1.0 ★ (1 rating)");
    await expect.poll(names).toEqual(["Hello World Agent", "Analyst Agent"]);
    await screenshot(page, "agents-rated");
  });

  it("rates a server with the star widget on its card", async () => {
    const registered = await api("/servers", {
      method: "POST",
      body: JSON.stringify({
        name: "Everything",
        path: "everything",
        endpoints: [{ url: stack.everythingUrl }],
      }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Servers", exact: true })
      .click();
    const server = card("Everything");
    await server.waitFor();
    await server.getByText("No ratings yet").waitFor();
    await server.getByRole("button", { name: "3 stars" }).click();
    await expect.poll(() => server.getByTestId("rating-summary").textContent()).toBe("3.0 ★ (1 rating)");
    const stored = (await (await api("/servers")).json()) as { items: { rating: unknown }[] };
    expect(stored.items[0]?.rating).toEqual({ mean: 3, count: 1 });
    await page.getByLabel("Sort by").selectOption("rating");
    await server.waitFor();
    await screenshot(page, "servers-rated");
  });

  it("logged no console errors except the provoked ones", () => {
    expect(logs.all()).toEqual([]);
  });
});
