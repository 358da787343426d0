// An upstream that acts on each user's own account, on loopback (Node-only):
//  - `oauth2-mock-server` as the upstream's OAuth provider (authorization
//    code with PKCE, refresh tokens). Tests choose which provider account the
//    next sign-in is (`signInAs`), the lifetime of tokens issued from now on,
//    and whether refreshes are refused.
//  - A real MCP server (SDK 1.x, Streamable HTTP, stateless) that requires the
//    provider's tokens: it verifies each bearer against the provider's JWKS
//    (issuer, audience, expiry) and answers 401 otherwise. Its `whoami` tool
//    returns the token's subject; every call is recorded with the subject and
//    token id it carried.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { OAuth2Server } from "oauth2-mock-server";
import { readBody } from "./http-body.ts";

/** The audience the provider puts in its access tokens and the MCP server requires. */
export const UPSTREAM_AUDIENCE = "upstream-mcp";
export const UPSTREAM_CLIENT_ID = "gateway-client";

export interface UpstreamCall {
  subject: string;
  tokenId: string;
  /** The raw Authorization header the upstream received. */
  authorization: string;
}

export interface OAuthUpstream {
  /** Issuer URL of the provider (authorize: `${issuer}/authorize`, token: `${issuer}/token`). */
  issuer: string;
  /** The MCP endpoint that requires the provider's tokens. */
  mcpUrl: string;
  /** tools/call requests the MCP server served, in order. */
  calls: UpstreamCall[];
  /** Grant types the token endpoint served, in order. */
  grants: string[];
  /** Every access and refresh token the provider issued (to look for them where they must not be). */
  issued: string[];
  /** Requests the MCP server refused for lack of a valid token. */
  refused(): number;
  /** The provider account the next authorization signs in as. */
  signInAs(subject: string): void;
  /** Lifetime (seconds) of access tokens issued from now on. */
  tokenLifetime(seconds: number): void;
  /** Refuse refresh grants with `invalid_grant` (the user revoked the app at the provider). */
  refuseRefresh(refuse: boolean): void;
  /** The `egress` body of a server using this provider. */
  egress(): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startOAuthUpstream(): Promise<OAuthUpstream> {
  const provider = new OAuth2Server();
  await provider.issuer.keys.generate("RS256");
  let nextSubject = "nobody";
  let lifetime = 3600;
  let refuse = false;
  const codeSubject = new Map<string, string>();
  const refreshSubject = new Map<string, string>();
  const grants: string[] = [];
  const issued: string[] = [];

  provider.service.on("beforeAuthorizeRedirect", (redirect: { url: URL }) => {
    const code = redirect.url.searchParams.get("code");
    if (code) codeSubject.set(code, nextSubject);
  });
  const subjectOf = (body: Record<string, string>): string =>
    (body.code && codeSubject.get(body.code)) ||
    (body.refresh_token && refreshSubject.get(body.refresh_token)) ||
    "unknown";
  provider.service.on(
    "beforeTokenSigning",
    (token: { payload: Record<string, unknown> }, req: { body: Record<string, string> }) => {
      token.payload.sub = subjectOf(req.body);
      token.payload.aud = UPSTREAM_AUDIENCE;
      token.payload.jti = randomUUID();
      token.payload.exp = Math.floor(Date.now() / 1000) + lifetime;
    },
  );
  provider.service.on(
    "beforeResponse",
    (
      response: { body: Record<string, unknown>; statusCode: number },
      req: { body: Record<string, string> },
    ) => {
      grants.push(req.body.grant_type ?? "");
      if (req.body.grant_type === "refresh_token" && refuse) {
        response.statusCode = 400;
        response.body = { error: "invalid_grant", error_description: "revoked" };
        return;
      }
      const subject = subjectOf(req.body);
      response.body.expires_in = lifetime;
      for (const name of ["access_token", "refresh_token"]) {
        if (typeof response.body[name] === "string") issued.push(response.body[name] as string);
      }
      if (typeof response.body.refresh_token === "string")
        refreshSubject.set(response.body.refresh_token, subject);
    },
  );
  await provider.start(0, "127.0.0.1");
  const issuer = provider.issuer.url as string;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));

  const calls: UpstreamCall[] = [];
  let refusedCount = 0;

  const mcpServer = (call: UpstreamCall) => {
    const server = new McpServer({ name: "per-user-upstream", version: "1.0.0" });
    server.registerTool("whoami", { description: "The provider account this request acts as." }, async () => {
      calls.push(call);
      return { content: [{ type: "text", text: call.subject }] };
    });
    return server;
  };

  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    if (new URL(request.url ?? "/", "http://localhost").pathname !== "/mcp") {
      response.writeHead(404).end();
      return;
    }
    const authorization = request.headers.authorization ?? "";
    const match = /^Bearer (.+)$/.exec(authorization);
    let call: UpstreamCall;
    try {
      if (!match) throw new Error("no bearer");
      const { payload } = await jwtVerify(match[1] as string, jwks, { issuer, audience: UPSTREAM_AUDIENCE });
      call = { subject: String(payload.sub), tokenId: String(payload.jti), authorization };
    } catch {
      refusedCount += 1;
      await readBody(request);
      response.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end();
      return;
    }
    const body = request.method === "POST" ? JSON.parse(await readBody(request)) : undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    const server = mcpServer(call);
    response.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  };
  const http: Server = createServer((request, response) => {
    handler(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;

  return {
    issuer,
    mcpUrl: `http://127.0.0.1:${port}/mcp`,
    calls,
    grants,
    issued,
    refused: () => refusedCount,
    signInAs: (subject) => {
      nextSubject = subject;
    },
    tokenLifetime: (seconds) => {
      lifetime = seconds;
    },
    refuseRefresh: (value) => {
      refuse = value;
    },
    egress: () => ({
      type: "oauth",
      provider: {
        authorizeUrl: `${issuer}/authorize`,
        tokenUrl: `${issuer}/token`,
        clientId: UPSTREAM_CLIENT_ID,
        scopes: ["openid", "repo"],
      },
    }),
    async stop() {
      http.closeAllConnections();
      await Promise.allSettled([new Promise((resolve) => http.close(resolve)), provider.stop()]);
    },
  };
}
