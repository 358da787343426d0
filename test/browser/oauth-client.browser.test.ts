// An MCP client connects to the gateway by OAuth with no hand-made token: the
// SDK 1.x client with its OAuthClientProvider (discovery from the 401, dynamic
// registration, PKCE S256, resource indicators) against the gateway under
// `wrangler dev`, whose sign-in is a real OpenID provider on loopback
// (oidc-provider, users with groups). The authorization URL is opened in
// Debian's Chromium, which signs in at the IdP and consents on the gateway's
// page; the client then lists and calls tools on /mcp and on /{path}/mcp.
// A token for one endpoint is refused at the other.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemoServer } from "../../demo/server.ts";
import { devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort } from "../../scripts/processes.ts";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-idp.ts";
import { launchChromium, newContext } from "./browser.ts";

/** What an MCP client keeps between runs, in memory; the authorization URL goes to the browser. */
class BrowserDrivenProvider implements OAuthClientProvider {
  authorizationUrl: URL | null = null;
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = "";

  constructor(readonly redirectUrl: string) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "E2E MCP client",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.#client = info;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.#tokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
}

/** The client's loopback redirect URI: hands each `code` to whoever waits for it. */
class CallbackServer {
  readonly server: Server;
  readonly url: string;
  #waiting: ((query: URLSearchParams) => void) | null = null;

  constructor(port: number) {
    this.url = `http://127.0.0.1:${port}/callback`;
    this.server = createServer((req, res) => {
      const query = new URL(req.url ?? "/", this.url).searchParams;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("You can close this window.");
      this.#waiting?.(query);
      this.#waiting = null;
    });
    this.server.listen(port, "127.0.0.1");
  }

  next(): Promise<URLSearchParams> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }
}

let idp: TestOidcProvider;
let gateway: LocalGateway;
let demo: DemoServer;
let browser: Browser;
let callback: CallbackServer;
let persistDir = "";
let demoPath = "";

beforeAll(async () => {
  const [gatewayPort, idpPort, callbackPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  idp = await startOidcProvider({ port: idpPort, redirectUris: [`${gatewayUrl}/oauth/callback`] });
  callback = new CallbackServer(callbackPort);
  persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-oauth-"));
  const secrets = newDevSecrets();
  [gateway, demo, browser] = await Promise.all([
    startLocalGateway({
      port: gatewayPort,
      persistDir,
      secrets: { ...secrets, OIDC_CLIENT_SECRET: idp.clientSecret },
      vars: { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId },
    }),
    (async () => startDemoServer({ port: await freePort(), host: "127.0.0.1" }))(),
    launchChromium(),
  ]);
  const admin = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
  demoPath = "demo";
  const created = await fetch(`${gateway.url}/api/v1/servers`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Demo", path: demoPath, endpoints: [{ url: demo.url }] }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  callback?.server.close();
  await Promise.allSettled([gateway?.stop(), demo?.close(), idp?.stop()]);
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

/** Signs in at the IdP as `user` (its own pages), then allows on the gateway's consent page. */
async function signInAndConsent(page: Page, url: URL, user: string): Promise<string> {
  const code = callback.next();
  await page.goto(url.href);
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill("any-password");
  await page.locator('button[type="submit"]').click();
  const ours = page.getByRole("heading", { name: /Allow .* to use the MCP gateway/ });
  const idpConsent = page.getByRole("button", { name: "Continue" });
  await Promise.race([ours.waitFor(), idpConsent.waitFor()]);
  if (await idpConsent.isVisible()) await idpConsent.click();
  await ours.waitFor();
  expect(await page.content()).toContain(`Signed in as <strong>${user}</strong>`);
  await page.getByRole("button", { name: "Allow" }).click();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      page
        .content()
        .then(
          (html) => reject(new Error(`no redirect to the client; the page shows: ${html.slice(0, 2000)}`)),
          reject,
        );
    }, 15_000);
  });
  const query = await Promise.race([code, stuck]).finally(() => clearTimeout(timer));
  expect(query.get("iss")).toBe(gateway.url);
  return query.get("code") ?? "";
}

/** The SDK's whole flow: 401 -> discovery -> registration -> browser -> code -> tokens -> connected client. */
async function connectByOAuth(
  endpoint: string,
  user: string,
): Promise<{ client: Client; provider: BrowserDrivenProvider }> {
  const provider = new BrowserDrivenProvider(callback.url);
  const first = new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: provider });
  await expect(new Client({ name: "e2e", version: "1.0.0" }).connect(first)).rejects.toBeInstanceOf(
    UnauthorizedError,
  );
  expect(provider.authorizationUrl).not.toBeNull();
  const url = provider.authorizationUrl as URL;
  expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  expect(url.searchParams.get("resource")).toBe(endpoint);
  const context = await newContext(browser);
  try {
    const code = await signInAndConsent(await context.newPage(), url, user);
    await first.finishAuth(code);
  } finally {
    await context.close();
  }
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: provider }));
  return { client, provider };
}

function rawInitialize(endpoint: string, token: string): Promise<Response> {
  return fetch(endpoint, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    }),
  });
}

describe("MCP clients by OAuth through the gateway's authorization server", () => {
  let aggregatedToken = "";
  let serverToken = "";

  it("connects to /mcp as alice (IdP group mcp-registry-admin), lists and calls tools", async () => {
    const { client, provider } = await connectByOAuth(`${gateway.url}/mcp`, "alice");
    const tools = await client.listTools();
    const names = tools.tools.map((tool) => tool.name);
    expect(names).toContain(`${demoPath}__current_time`);
    const result = await client.callTool({
      name: `${demoPath}__current_time`,
      arguments: { timezone: "UTC" },
    });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain("UTC");
    aggregatedToken = provider.tokens()?.access_token ?? "";
    expect(provider.tokens()?.refresh_token).toBeTruthy();
    await client.close();
  });

  it("connects to /{path}/mcp as alice, lists and calls the server's own tools", async () => {
    const { client, provider } = await connectByOAuth(`${gateway.url}/${demoPath}/mcp`, "alice");
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("current_time");
    const result = await client.callTool({ name: "current_time", arguments: { timezone: "Asia/Tokyo" } });
    expect(JSON.stringify(result.content)).toContain("Asia/Tokyo");
    serverToken = provider.tokens()?.access_token ?? "";
    await client.close();
  });

  it("refuses the /mcp token at /{path}/mcp and the /{path}/mcp token at /mcp", async () => {
    expect(aggregatedToken).not.toBe("");
    expect(serverToken).not.toBe("");
    expect((await rawInitialize(`${gateway.url}/mcp`, aggregatedToken)).status).toBe(200);
    expect((await rawInitialize(`${gateway.url}/${demoPath}/mcp`, aggregatedToken)).status).toBe(401);
    expect((await rawInitialize(`${gateway.url}/${demoPath}/mcp`, serverToken)).status).toBe(200);
    expect((await rawInitialize(`${gateway.url}/mcp`, serverToken)).status).toBe(401);
  });

  it("carries the user's groups: bob (group staff, no scopes) connects but sees no tools", async () => {
    const { client } = await connectByOAuth(`${gateway.url}/mcp`, "bob");
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names.some((name) => name.startsWith(`${demoPath}__`))).toBe(false);
    await client.close();
  });
});
