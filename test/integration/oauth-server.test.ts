// The gateway as OAuth authorization server, over HTTP inside workerd with real
// D1 and KV: RFC 8414 metadata, dynamic registration, the development login as
// sign-in with the consent page, codes bound to PKCE S256 and the exact
// redirect URI, RFC 9207 `iss`, tokens bound to one resource (RFC 8707),
// refresh rotation and replay, revocation. The browser flow against a real
// OIDC provider and the SDK's OAuth client is in test/e2e/oauth-client.e2e.test.ts.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import worker from "../../worker/index.ts";
import { api, uniquePath } from "../support/api.ts";
import { rpc } from "../support/mcp-http.ts";

const BASE = "http://localhost";
const REDIRECT = "http://127.0.0.1:43123/callback";
const upstreams = inject("upstreams");

/** The Worker with PUBLIC_URL unset, so its issuer is the loopback origin of the requests. */
const bindings = { ...env, PUBLIC_URL: "" } as Env;
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
async function gateway(path: string, init: RequestInit = {}): Promise<Response> {
  return worker.fetch(new Request(`${BASE}${path}`, { redirect: "manual", ...init }), bindings, ctx);
}

function form(fields: Record<string, string | string[]>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
  }
  return body;
}

function postForm(path: string, fields: Record<string, string | string[]>, cookie = ""): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (cookie) headers.cookie = cookie;
  return gateway(path, { method: "POST", headers, body: form(fields) });
}

async function s256(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
}

async function registerClient(): Promise<string> {
  const response = await gateway("/oauth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Test <b>client</b>",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { client_id: string }).client_id;
}

interface Started {
  page: string;
  handle: string;
  cookie: string;
  verifier: string;
}

async function startAuthorization(
  clientId: string,
  resource: string,
  extra: Record<string, string> = {},
): Promise<Started> {
  const verifier = `verifier-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: await s256(verifier),
    code_challenge_method: "S256",
    state: "state-123",
    resource,
    ...extra,
  });
  const response = await gateway(`/oauth/authorize?${query}`);
  const page = await response.text();
  expect(response.status, page).toBe(200);
  const handle = /name="handle" value="([^"]+)"/.exec(page)?.[1] ?? "";
  return { page, handle, cookie: cookiesOf(response), verifier };
}

/** Signs in with the development login and approves; returns the redirect back to the client. */
async function approve(started: Started, extra: Record<string, string | string[]> = {}): Promise<URL> {
  const response = await postForm(
    "/oauth/authorize",
    {
      handle: started.handle,
      decision: "approve",
      username: env.DEV_ADMIN_USERNAME ?? "",
      password: env.DEV_ADMIN_PASSWORD ?? "",
      ...extra,
    },
    started.cookie,
  );
  expect(response.status, await response.clone().text()).toBe(302);
  return new URL(response.headers.get("location") ?? "");
}

interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  resource?: string;
}

async function exchange(clientId: string, code: string, verifier: string, resource: string) {
  return postForm("/oauth/token", {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    client_id: clientId,
    code_verifier: verifier,
    resource,
  });
}

async function tokensFor(clientId: string, resource: string): Promise<TokenAnswer> {
  const started = await startAuthorization(clientId, resource);
  const back = await approve(started);
  const response = await exchange(clientId, back.searchParams.get("code") ?? "", started.verifier, resource);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as TokenAnswer;
}

function initialize(path: string, token: string): Promise<Response> {
  return gateway(path, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify(
      rpc("initialize", {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "oauth-test", version: "1" },
      }),
    ),
  });
}

let serverPath = "";
let clientId = "";

beforeAll(async () => {
  serverPath = uniquePath("oauth");
  const created = await api("/api/v1/servers", {
    method: "POST",
    json: { name: "OAuth demo", path: serverPath, endpoints: [{ url: upstreams.demoUrl }] },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  clientId = await registerClient();
});

describe("authorization server metadata", () => {
  it("serves RFC 8414 metadata: S256 only, iss in responses, registration, revocation", async () => {
    const response = await gateway("/.well-known/oauth-authorization-server");
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(BASE);
    expect(metadata.authorization_endpoint).toBe(`${BASE}/oauth/authorize`);
    expect(metadata.token_endpoint).toBe(`${BASE}/oauth/token`);
    expect(metadata.registration_endpoint).toBe(`${BASE}/oauth/register`);
    expect(metadata.revocation_endpoint).toBe(`${BASE}/oauth/token`);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.response_types_supported).toEqual(["code"]);
    expect(metadata.scopes_supported).toContain("offline_access");
  });

  it("names the gateway first in protected-resource metadata", async () => {
    const response = await gateway("/.well-known/oauth-protected-resource/mcp");
    const document = (await response.json()) as { resource: string; authorization_servers: string[] };
    expect(document.resource).toBe(`${BASE}/mcp`);
    expect(document.authorization_servers[0]).toBe(BASE);
  });

  it("does not exist where the gateway cannot be an issuer (plain http public URL)", async () => {
    const plain = await worker.fetch(
      new Request("http://gateway.test/.well-known/oauth-authorization-server"),
      env,
      ctx,
    );
    expect(plain.status).toBe(404);
    expect(plain.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("authorization code flow with the development login", () => {
  it("shows a consent page naming the client (escaped), where tokens go, and asks for the login", async () => {
    const started = await startAuthorization(clientId, `${BASE}/mcp`);
    expect(started.page).toContain("Test &#60;b&#62;client&#60;/b&#62;");
    expect(started.page).not.toContain("<b>client</b>");
    expect(started.page).toContain("127.0.0.1");
    expect(started.page).toContain('name="password"');
    expect(started.handle).not.toBe("");
    expect(started.cookie).toMatch(/__Host-/);
  });

  it("issues a code with state and iss, and tokens that work at /mcp only", async () => {
    const started = await startAuthorization(clientId, `${BASE}/mcp`);
    const back = await approve(started);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe("state-123");
    expect(back.searchParams.get("iss")).toBe(BASE);
    const response = await exchange(
      clientId,
      back.searchParams.get("code") ?? "",
      started.verifier,
      `${BASE}/mcp`,
    );
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as TokenAnswer;
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    expect(tokens.refresh_token).toBeTruthy();

    expect((await initialize("/mcp", tokens.access_token)).status).toBe(200);
    const elsewhere = await initialize(`/${serverPath}/mcp`, tokens.access_token);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get("www-authenticate")).toContain('error="invalid_token"');
    // Not a credential for the REST API either.
    const rest = await gateway("/api/v1/auth/whoami", {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(rest.status).toBe(401);
  });

  it("binds a token for /{path}/mcp to that server: accepted there, refused at /mcp", async () => {
    const tokens = await tokensFor(clientId, `${BASE}/${serverPath}/mcp`);
    expect((await initialize(`/${serverPath}/mcp`, tokens.access_token)).status).toBe(200);
    expect((await initialize("/mcp", tokens.access_token)).status).toBe(401);
  });

  it("refuses a resource that is not one of the gateway's MCP endpoints", async () => {
    const verifier = "v".repeat(50);
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: await s256(verifier),
      code_challenge_method: "S256",
      state: "s",
      resource: `${BASE}/no-such-server/mcp`,
    });
    const response = await gateway(`/oauth/authorize?${query}`);
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get("location") ?? "");
    expect(back.searchParams.get("error")).toBe("invalid_target");
  });

  it("keeps the page on a wrong password, and the user can still deny", async () => {
    const started = await startAuthorization(clientId, `${BASE}/mcp`);
    const wrong = await postForm(
      "/oauth/authorize",
      { handle: started.handle, decision: "approve", username: "admin", password: "wrong-password-123456" },
      started.cookie,
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("Wrong user name or password");
    const denied = await postForm(
      "/oauth/authorize",
      { handle: started.handle, decision: "deny" },
      started.cookie,
    );
    expect(denied.status).toBe(302);
    const back = new URL(denied.headers.get("location") ?? "");
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("iss")).toBe(BASE);
  });

  it("refuses a consent form posted without the browser's binding cookie", async () => {
    const started = await startAuthorization(clientId, `${BASE}/mcp`);
    const response = await postForm("/oauth/authorize", {
      handle: started.handle,
      decision: "approve",
      username: env.DEV_ADMIN_USERNAME ?? "",
      password: env.DEV_ADMIN_PASSWORD ?? "",
    });
    expect(response.status).toBe(400);
  });
});

describe("refusals", () => {
  it("refuses PKCE plain and a missing challenge", async () => {
    const cases: Record<string, string>[] = [
      { code_challenge_method: "plain", code_challenge: "x".repeat(50) },
      { code_challenge_method: "S256" },
    ];
    for (const extra of cases) {
      const query = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: REDIRECT,
        state: "s",
        resource: `${BASE}/mcp`,
        ...extra,
      });
      const response = await gateway(`/oauth/authorize?${query}`);
      expect(response.status).toBe(302);
      expect(new URL(response.headers.get("location") ?? "").searchParams.get("error")).toBe(
        "invalid_request",
      );
    }
  });

  it("refuses a redirect URI that is not registered exactly, without redirecting", async () => {
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: `${REDIRECT}/other`,
      code_challenge: "x".repeat(43),
      code_challenge_method: "S256",
      state: "s",
    });
    const response = await gateway(`/oauth/authorize?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
  });

  it("refuses a code without its verifier, with a wrong verifier, and a second time", async () => {
    const started = await startAuthorization(clientId, `${BASE}/mcp`);
    const code = (await approve(started)).searchParams.get("code") ?? "";
    const missing = await postForm("/oauth/token", {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    expect(missing.status).toBe(400);
    const again = await startAuthorization(clientId, `${BASE}/mcp`);
    const code2 = (await approve(again)).searchParams.get("code") ?? "";
    const wrong = await exchange(clientId, code2, `${again.verifier}x`, `${BASE}/mcp`);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe("invalid_grant");

    const third = await startAuthorization(clientId, `${BASE}/mcp`);
    const code3 = (await approve(third)).searchParams.get("code") ?? "";
    expect((await exchange(clientId, code3, third.verifier, `${BASE}/mcp`)).status).toBe(200);
    const reused = await exchange(clientId, code3, third.verifier, `${BASE}/mcp`);
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("refuses a code exchanged with a redirect URI other than the one it was issued for", async () => {
    const started = await startAuthorization(clientId, `${BASE}/mcp`);
    const code = (await approve(started)).searchParams.get("code") ?? "";
    const response = await postForm("/oauth/token", {
      grant_type: "authorization_code",
      code,
      redirect_uri: `${REDIRECT}/other`,
      client_id: clientId,
      code_verifier: started.verifier,
    });
    expect(response.status).toBe(400);
  });

  it("rotates refresh tokens and refuses a replayed one", async () => {
    const first = await tokensFor(clientId, `${BASE}/${serverPath}/mcp`);
    const refresh = (token: string) =>
      postForm("/oauth/token", { grant_type: "refresh_token", refresh_token: token, client_id: clientId });
    // No `resource` here: the grant's own resource is found from the token.
    const second = await refresh(first.refresh_token);
    expect(second.status, await second.clone().text()).toBe(200);
    const secondTokens = (await second.json()) as TokenAnswer;
    expect(secondTokens.refresh_token).not.toBe(first.refresh_token);
    expect((await initialize(`/${serverPath}/mcp`, secondTokens.access_token)).status).toBe(200);
    const third = await refresh(secondTokens.refresh_token);
    expect(third.status).toBe(200);
    const replayed = await refresh(first.refresh_token);
    expect(replayed.status).toBe(400);
    expect(((await replayed.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("refuses a refresh that asks for another resource", async () => {
    const tokens = await tokensFor(clientId, `${BASE}/mcp`);
    const response = await postForm("/oauth/token", {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: clientId,
      resource: `${BASE}/${serverPath}/mcp`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_target");
  });

  it("revokes an access token (RFC 7009): refused at once afterwards", async () => {
    const tokens = await tokensFor(clientId, `${BASE}/mcp`);
    expect((await initialize("/mcp", tokens.access_token)).status).toBe(200);
    const revoked = await postForm("/oauth/token", { token: tokens.access_token, client_id: clientId });
    expect(revoked.status).toBe(200);
    expect((await initialize("/mcp", tokens.access_token)).status).toBe(401);
  });

  it("refuses a made-up token of the library's shape", async () => {
    const response = await initialize("/mcp", "uAAAA:BBBBBBBBBBBBBBBB:CCCCCCCC");
    expect(response.status).toBe(401);
  });
});
