// Getting real tokens inside workerd tests: from the loopback IdPs started by
// test/support/idp.ts (the mock OIDC provider signs them with its own keys),
// and calling the gateway with them.
import { exports } from "cloudflare:workers";
import { inject } from "vitest";
import { BASE } from "./api.ts";
import { type ControlledIssuer, controlledIssuer, TEST_PUBLIC_URL } from "./idp-shared.ts";

export const idp = inject("idp");
/** The audience the gateway accepts by default in these tests. */
export const AUDIENCE = TEST_PUBLIC_URL;

export interface IdpTokenSpec {
  /** rs256 (default), es256 or rs512. */
  kid?: string;
  /** Added to (and overriding) the defaults: iss, iat, exp = now + expiresIn, nbf = now - 10. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Claims to remove, e.g. ["aud"]. */
  omit?: string[];
  expiresIn?: number;
}

/** A token signed by the mock OIDC provider; `aud` defaults to the gateway. */
export async function idpToken(spec: IdpTokenSpec = {}): Promise<string> {
  const claims = { sub: "alice", aud: AUDIENCE, preferred_username: "alice", ...spec.claims };
  const response = await fetch(`${idp.main}/test/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...spec, claims }),
  });
  if (!response.ok) throw new Error(`IdP refused to sign: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** A token from a controlled issuer, signed with one of its keys (k1, k2, k3). */
export async function controlledToken(
  issuer: ControlledIssuer,
  kid: string,
  claims: Record<string, unknown> = {},
): Promise<string> {
  const response = await fetch(`${idp.control}/control/${issuer}/sign`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kid, claims: { sub: "bob", aud: AUDIENCE, ...claims } }),
  });
  if (!response.ok) throw new Error(`controlled IdP refused to sign: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** Changes a controlled issuer: publish a key set, take its JWKS endpoint down or up. */
export async function controlIssuer(
  issuer: ControlledIssuer,
  action: "publish" | "down" | "up",
  body: unknown = {},
): Promise<void> {
  const response = await fetch(`${idp.control}/control/${issuer}/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`control ${action} failed: ${response.status}`);
}

export async function jwksFetches(issuer: ControlledIssuer): Promise<number> {
  const response = await fetch(`${idp.control}/control/${issuer}/stats`);
  return ((await response.json()) as { jwksFetches: number }).jwksFetches;
}

export function issuerUrl(issuer: ControlledIssuer): string {
  return controlledIssuer(idp, issuer);
}

/** Calls the gateway with exactly the headers given (no admin token added). */
export function gateway(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, init);
}

/** GET /api/v1/auth/whoami with a bearer token: authentication only, no policy involved. */
export function callWith(token: string, path = "/api/v1/auth/whoami"): Promise<Response> {
  return gateway(path, { headers: { authorization: `Bearer ${token}` } });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asserts the shape every refusal must have; returns the challenge header. */
export async function expectUnauthorized(response: Response): Promise<{ challenge: string; detail: string }> {
  const body = await response.text();
  if (response.status !== 401) throw new Error(`expected 401, got ${response.status}: ${body}`);
  const type = response.headers.get("content-type");
  if (type !== "application/problem+json") throw new Error(`expected problem+json, got ${type}`);
  const challenge = response.headers.get("www-authenticate");
  if (!challenge) throw new Error("401 without WWW-Authenticate");
  const problem = JSON.parse(body) as { status: number; detail?: string };
  if (problem.status !== 401) throw new Error(`problem status ${problem.status}`);
  return { challenge, detail: problem.detail ?? "" };
}

export interface WhoAmI {
  subject: string;
  issuer: string;
  tenant: string;
  groups: string[];
  scopes: string[];
  kind: "user" | "machine";
  name?: string;
  credential?: string;
  effectiveScopes: string[];
}

export async function whoami(token: string): Promise<WhoAmI> {
  const response = await callWith(token);
  if (response.status !== 200) throw new Error(`whoami: ${response.status} ${await response.text()}`);
  return (await response.json()) as WhoAmI;
}
