// The browser sign-in of mcpgw: the gateway as OAuth authorization server
// (RFC 8414 metadata, RFC 7591 dynamic registration, PKCE S256, RFC 8707
// resource) through the MCP SDK's own OAuth helpers, with a loopback redirect
// URI (RFC 8252) on a free port. The token is bound to one MCP endpoint (the
// resource), so it serves MCP commands only; the gateway refuses OAuth tokens
// on /api/v1.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { OAuthTokens } from "@modelcontextprotocol/client";
import { CliError } from "./command.ts";
import type { StoredLogin } from "./credentials.ts";

type Sdk = typeof import("@modelcontextprotocol/client");

export interface BrowserLoginOptions {
  gateway: string;
  resource: string;
  /** Where the authorization URL is announced (stderr: --json output stays clean). */
  announce(url: string): void;
  /** Try to open a browser; never required. */
  openBrowser: boolean;
  timeoutMs: number;
}

async function metadataOf(sdk: Sdk, gateway: string) {
  const metadata = await sdk.discoverAuthorizationServerMetadata(gateway);
  if (!metadata) {
    throw new CliError(
      `${gateway} is not an OAuth authorization server (no /.well-known/oauth-authorization-server); use --dev or --token`,
    );
  }
  return metadata;
}

/** Runs the whole authorization code flow; resolves with the login to store. */
export async function browserLogin(options: BrowserLoginOptions): Promise<Omit<StoredLogin, "savedAt">> {
  const sdk: Sdk = await import("@modelcontextprotocol/client");
  const metadata = await metadataOf(sdk, options.gateway);
  const listener = await listenOnLoopback();
  try {
    const redirectUrl = `http://127.0.0.1:${listener.port}/callback`;
    const client = await sdk.registerClient(options.gateway, {
      metadata,
      clientMetadata: {
        client_name: "mcpgw (command line)",
        redirect_uris: [redirectUrl],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      },
    });
    const state = randomBytes(16).toString("base64url");
    const { authorizationUrl, codeVerifier } = await sdk.startAuthorization(options.gateway, {
      metadata,
      clientInformation: client,
      redirectUrl,
      state,
      // No scope: the grant carries the person's groups, as for the dashboard sign-in.
      resource: options.resource,
    });
    options.announce(authorizationUrl.href);
    if (options.openBrowser) tryOpen(authorizationUrl.href);
    const query = await listener.next(options.timeoutMs);
    if (query.get("state") !== state) throw new CliError("the authorization response's state does not match");
    const error = query.get("error");
    if (error) {
      throw new CliError(`the gateway refused the sign-in: ${query.get("error_description") ?? error}`);
    }
    const code = query.get("code");
    if (!code) throw new CliError("the authorization response has no code");
    const iss = query.get("iss");
    const tokens = await sdk.exchangeAuthorization(options.gateway, {
      metadata,
      clientInformation: client,
      authorizationCode: code,
      ...(iss !== null && { iss }),
      codeVerifier,
      redirectUri: redirectUrl,
      resource: options.resource,
    });
    return {
      ...fromTokens(tokens),
      method: "oauth",
      oauth: {
        clientId: client.client_id,
        ...(client.client_secret !== undefined && { clientSecret: client.client_secret }),
        resource: options.resource,
      },
    };
  } finally {
    listener.close();
  }
}

/** A new access token from the stored refresh token (rotated: the new one replaces it). */
export async function refreshLogin(gateway: string, stored: StoredLogin): Promise<StoredLogin> {
  if (!stored.oauth || !stored.refreshToken) {
    throw new CliError(
      `the OAuth login to ${gateway} has expired and cannot be renewed: run mcpgw login --oauth`,
    );
  }
  const sdk: Sdk = await import("@modelcontextprotocol/client");
  const metadata = await metadataOf(sdk, gateway);
  let tokens: OAuthTokens;
  try {
    tokens = await sdk.refreshAuthorization(gateway, {
      metadata,
      clientInformation: {
        client_id: stored.oauth.clientId,
        ...(stored.oauth.clientSecret !== undefined && { client_secret: stored.oauth.clientSecret }),
      },
      refreshToken: stored.refreshToken,
      resource: stored.oauth.resource,
    });
  } catch (error) {
    throw new CliError(
      `the OAuth login to ${gateway} could not be renewed (${(error as Error).message}): run mcpgw login --oauth`,
    );
  }
  const renewed = fromTokens(tokens);
  return {
    ...stored,
    ...renewed,
    // A server that does not rotate keeps the old refresh token valid.
    refreshToken: renewed.refreshToken ?? stored.refreshToken,
    savedAt: new Date().toISOString(),
  };
}

/** Renew a minute early so a command does not start with a token about to lapse. */
export function needsRefresh(stored: StoredLogin, now = Date.now()): boolean {
  return stored.expiresAt !== undefined && Date.parse(stored.expiresAt) - 60_000 <= now;
}

function fromTokens(tokens: OAuthTokens): Pick<StoredLogin, "token" | "refreshToken" | "expiresAt"> {
  return {
    token: tokens.access_token,
    ...(tokens.refresh_token !== undefined && { refreshToken: tokens.refresh_token }),
    ...(tokens.expires_in !== undefined && {
      expiresAt: new Date(Date.now() + tokens.expires_in * 1000).toISOString(),
    }),
  };
}

interface Listener {
  port: number;
  next(timeoutMs: number): Promise<URLSearchParams>;
  close(): void;
}

/** The loopback redirect URI's listener: the first request to /callback ends the wait. */
function listenOnLoopback(): Promise<Listener> {
  let deliver: ((query: URLSearchParams) => void) | null = null;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const ok = url.searchParams.has("code");
    res
      .writeHead(ok ? 200 : 400, { "content-type": "text/plain; charset=utf-8" })
      .end(
        ok
          ? "mcpgw is signed in. You can close this window."
          : "The sign-in did not complete; see the terminal.",
      );
    deliver?.(url.searchParams);
    deliver = null;
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // Port 0: the system picks a free port; the exact URI is registered with it.
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        next: (timeoutMs) =>
          new Promise((done, fail) => {
            const timer = setTimeout(
              () => fail(new CliError(`no sign-in within ${Math.round(timeoutMs / 1000)} s`)),
              timeoutMs,
            );
            deliver = (query) => {
              clearTimeout(timer);
              done(query);
            };
          }),
        close: () => {
          server.close();
          server.closeAllConnections();
        },
      });
    });
  });
}

/** xdg-open / open / start when present; a missing opener is not an error (the URL is printed). */
function tryOpen(url: string): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command as string, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // No opener: the printed URL is enough.
  }
}
