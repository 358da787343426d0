// Identity providers on loopback for the workers tests (vitest global setup).
//  - `oauth2-mock-server`: a real OAuth 2 / OIDC provider (discovery, JWKS,
//    token endpoint) with RS256, ES256 and RS512 keys. The extra route
//    `POST /test/token` has it sign a token with a chosen key and claims.
//  - A small issuer host we control, for what a well-behaved IdP never does:
//    rotating its keys, a JWKS endpoint that goes down, one that never
//    answers. It counts JWKS fetches so tests can see the refetch limits.
// URLs reach the tests (and vitest.config.ts, for AUTH_ISSUERS) via `inject`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { OAuth2Server } from "oauth2-mock-server";
import type { TestProject } from "vitest/node";
import { CONTROLLED_ISSUERS, MAIN_KEYS, type TestIdp } from "./idp-shared.ts";

declare module "vitest" {
  export interface ProvidedContext {
    idp: TestIdp;
  }
}

const CONTROLLED_KIDS = ["k1", "k2", "k3"] as const;

interface IssuerState {
  keys: Map<string, { privateKey: CryptoKey; publicJwk: JWK }>;
  published: Set<string>;
  down: boolean;
  jwksFetches: number;
  discoveryFetches: number;
}

async function startMainIdp(): Promise<OAuth2Server> {
  const server = new OAuth2Server();
  for (const [kid, alg] of Object.entries(MAIN_KEYS)) await server.issuer.keys.generate(alg, { kid });
  server.service.addRoute("POST", "/test/token", async (req, res) => {
    const body = (req.body ?? {}) as {
      kid?: string;
      claims?: Record<string, unknown>;
      header?: Record<string, unknown>;
      omit?: string[];
      expiresIn?: number;
    };
    const token = await server.issuer.buildToken({
      kid: body.kid ?? "rs256",
      expiresIn: body.expiresIn ?? 300,
      scopesOrTransform: (header, payload) => {
        Object.assign(header, body.header ?? {});
        Object.assign(payload, body.claims ?? {});
        for (const claim of body.omit ?? []) delete payload[claim];
      },
    });
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ token }));
  });
  await server.start(0, "127.0.0.1");
  return server;
}

async function newIssuerState(): Promise<IssuerState> {
  const keys = new Map<string, { privateKey: CryptoKey; publicJwk: JWK }>();
  for (const kid of CONTROLLED_KIDS) {
    const pair = await generateKeyPair("ES256", { extractable: true });
    keys.set(kid, {
      privateKey: pair.privateKey,
      publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" },
    });
  }
  return { keys, published: new Set(["k1"]), down: false, jwksFetches: 0, discoveryFetches: 0 };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function startControlledHost(): Promise<{ server: Server; url: string }> {
  const states = new Map<string, IssuerState>();
  for (const name of CONTROLLED_ISSUERS) states.set(name, await newIssuerState());
  let base = "";

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", base);
    const [, area, name, ...rest] = url.pathname.split("/");
    const state = name ? states.get(name) : undefined;
    if (!state) return send(res, 404, { error: "no such issuer" });
    const issuer = `${base}/i/${name}`;
    const action = rest.join("/");

    if (area === "i" && action === ".well-known/openid-configuration") {
      state.discoveryFetches++;
      if (state.down) return send(res, 503, { error: "down" });
      return send(res, 200, { issuer, jwks_uri: `${issuer}/jwks` });
    }
    if (area === "i" && action === "jwks") {
      state.jwksFetches++;
      if (state.down || name === "dead") return send(res, 503, { error: "down" });
      const keys = [...state.published].map((kid) => state.keys.get(kid)?.publicJwk);
      return send(res, 200, { keys });
    }
    if (area !== "control") return send(res, 404, { error: "no such route" });

    if (action === "sign" && req.method === "POST") {
      const body = await readJson(req);
      const kid = typeof body.kid === "string" ? body.kid : "k1";
      const key = state.keys.get(kid);
      if (!key) return send(res, 400, { error: "unknown kid" });
      const now = Math.floor(Date.now() / 1000);
      const claims: JWTPayload = { iss: issuer, iat: now, exp: now + 300, ...(body.claims as JWTPayload) };
      const token = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid }).sign(key.privateKey);
      return send(res, 200, { token });
    }
    if (action === "publish" && req.method === "POST") {
      const body = await readJson(req);
      state.published = new Set((body.kids as string[] | undefined) ?? []);
      return send(res, 200, { published: [...state.published] });
    }
    if ((action === "down" || action === "up") && req.method === "POST") {
      state.down = action === "down";
      return send(res, 200, { down: state.down });
    }
    if (action === "stats") {
      return send(res, 200, { jwksFetches: state.jwksFetches, discoveryFetches: state.discoveryFetches });
    }
    return send(res, 404, { error: "no such control" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url: base };
}

export default async function setup(project: TestProject) {
  const [main, controlled] = await Promise.all([startMainIdp(), startControlledHost()]);
  const issuer = main.issuer.url;
  if (!issuer) throw new Error("oauth2-mock-server did not report its issuer URL");
  project.provide("idp", { main: issuer, control: controlled.url });
  return async () => {
    await Promise.all([
      main.stop(),
      new Promise<void>((resolve) => {
        controlled.server.closeAllConnections();
        controlled.server.close(() => resolve());
      }),
    ]);
  };
}
