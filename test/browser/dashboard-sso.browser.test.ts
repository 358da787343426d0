// Dashboard single sign-on in Debian's Chromium against the gateway under
// `wrangler dev` and a real OpenID provider on loopback (oidc-provider): sign
// in at the IdP, land on the dashboard, the session cookie's flags, a
// state-changing request without the CSRF token refused (with it accepted),
// and logout (local and at the IdP) ending the session.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../scripts/build-dashboard.ts";
import { newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort } from "../../scripts/processes.ts";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-idp.ts";
import { launchChromium, newContext, screenshot } from "./browser.ts";

let idp: TestOidcProvider;
let gateway: LocalGateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let persistDir = "";

beforeAll(async () => {
  await buildDashboard();
  const [gatewayPort, idpPort] = await Promise.all([freePort(), freePort()]);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  idp = await startOidcProvider({
    port: idpPort,
    redirectUris: [`${gatewayUrl}/api/v1/auth/sso/callback`, `${gatewayUrl}/oauth/callback`],
    postLogoutRedirectUris: [`${gatewayUrl}/`],
  });
  persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-sso-"));
  [gateway, browser] = await Promise.all([
    startLocalGateway({
      port: gatewayPort,
      persistDir,
      secrets: { ...newDevSecrets(), OIDC_CLIENT_SECRET: idp.clientSecret },
      vars: { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId },
    }),
    launchChromium(),
  ]);
  context = await newContext(browser);
  page = await context.newPage();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([gateway?.stop(), idp?.stop()]);
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

async function sessionCookie() {
  return (await context.cookies(gateway.url)).find((cookie) => cookie.name === "mcpgw_session");
}

/** fetch() from the dashboard's page, so the browser's own cookies go with it. */
async function pageFetch(
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  const options = JSON.stringify({ ...init, credentials: "same-origin" });
  return (await page.evaluate(
    `fetch(${JSON.stringify(path)}, ${options}).then(async (r) => ({ status: r.status, body: await r.text() }))`,
  )) as { status: number; body: string };
}

describe("dashboard single sign-on", () => {
  let cookieValue = "";

  it("signs in at the identity provider and lands on the dashboard", async () => {
    await page.goto(`${gateway.url}/servers`);
    const button = page.getByRole("link", { name: /Sign in with/ });
    await button.waitFor();
    await screenshot(page, "sso-sign-in");
    await button.click();
    await page.locator('input[name="login"]').fill("alice");
    await page.locator('input[name="password"]').fill("any-password");
    await page.locator('button[type="submit"]').click();
    const servers = page.getByRole("heading", { name: "Servers" });
    const idpConsent = page.getByRole("button", { name: "Continue" });
    await Promise.race([servers.waitFor(), idpConsent.waitFor()]);
    if (await idpConsent.isVisible()) await idpConsent.click();
    await servers.waitFor();
    expect(new URL(page.url()).pathname).toBe("/servers");
    await page.getByText("Signed in as").waitFor();
    expect(await page.locator(".whoami").textContent()).toContain("alice");
    await screenshot(page, "sso-dashboard");
  });

  it("keeps the session in an HttpOnly, SameSite=Lax, short-lived cookie (not Secure only on http loopback)", async () => {
    const cookie = await sessionCookie();
    expect(cookie).toBeDefined();
    cookieValue = cookie?.value ?? "";
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Lax");
    expect(cookie?.path).toBe("/");
    // Plain-http loopback: browsers would drop a Secure cookie on other http origins; https gets Secure and __Host-.
    expect(cookie?.secure).toBe(false);
    const lifetime = (cookie?.expires ?? 0) - Date.now() / 1000;
    expect(lifetime).toBeGreaterThan(3000);
    expect(lifetime).toBeLessThanOrEqual(3600);
    // Script on the page cannot read it.
    expect(await page.evaluate("document.cookie")).not.toContain("mcpgw_session");
  });

  it("refuses a state-changing request without the CSRF token, accepts it with", async () => {
    const refused = await pageFetch("/api/v1/health/tickets", { method: "POST" });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("X-CSRF-Token");
    const session = JSON.parse((await pageFetch("/api/v1/auth/session")).body) as { csrfToken: string };
    const wrong = await pageFetch("/api/v1/health/tickets", {
      method: "POST",
      headers: { "x-csrf-token": `${session.csrfToken}x` },
    });
    expect(wrong.status).toBe(403);
    const accepted = await pageFetch("/api/v1/health/tickets", {
      method: "POST",
      headers: { "x-csrf-token": session.csrfToken },
    });
    expect(accepted.status).toBeLessThan(300);
    // Reading needs no CSRF token.
    expect((await pageFetch("/api/v1/auth/whoami")).status).toBe(200);
  });

  it("logs out here and at the identity provider; the old cookie is dead", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    // RP-initiated logout: the IdP asks to confirm, then sends the browser back.
    const confirm = page.getByRole("button", { name: /Yes, sign me out/i });
    await confirm.waitFor();
    await confirm.click();
    await page.waitForURL(`${gateway.url}/**`);
    await page.getByRole("link", { name: /Sign in with/ }).waitFor();
    expect(await sessionCookie()).toBeUndefined();
    const replayed = await fetch(`${gateway.url}/api/v1/auth/whoami`, {
      headers: { cookie: `mcpgw_session=${cookieValue}` },
    });
    expect(replayed.status).toBe(401);
  });
});
