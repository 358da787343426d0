// Small helpers for calling the gateway's REST API from tests inside workerd.
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

export const BASE = "http://gateway.test";

let adminToken: Promise<string> | undefined;

/**
 * A real gateway token for the development admin (group mcp-registry-admin),
 * from POST /api/v1/auth/dev-login; one per test file (storage is per file).
 */
export function devAdminToken(): Promise<string> {
  adminToken ??= (async () => {
    const response = await exports.default.fetch(`${BASE}/api/v1/auth/dev-login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: env.DEV_ADMIN_USERNAME, password: env.DEV_ADMIN_PASSWORD }),
    });
    if (response.status !== 200)
      throw new Error(`dev login failed: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  })();
  return adminToken;
}

export async function adminHeaders(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await devAdminToken()}`, ...extra };
}

/** Calls the gateway as the development admin; pass an `authorization` header to call as someone else. */
export async function api(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, headers, ...rest } = init;
  const given = (headers ?? {}) as Record<string, string>;
  const merged: Record<string, string> = "authorization" in given ? { ...given } : await adminHeaders(given);
  let body = rest.body;
  if (json !== undefined) {
    merged["content-type"] = "application/json";
    body = JSON.stringify(json);
  }
  return exports.default.fetch(`${BASE}${path}`, { ...rest, headers: merged, body });
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export async function problemOf(response: Response): Promise<Problem> {
  if (response.headers.get("content-type") !== "application/problem+json") {
    throw new Error(
      `expected problem+json, got ${response.headers.get("content-type")}: ${await response.text()}`,
    );
  }
  return (await response.json()) as Problem;
}

export function fieldsOf(problem: Problem): string[] {
  return (problem.errors ?? []).map((error) => error.field).sort();
}

let counter = 0;
export function uniquePath(prefix = "srv"): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** Registers a server at `path` with one endpoint as the development admin; fails the test unless 201. */
export async function registerServer(path: string, endpoint: Record<string, unknown>): Promise<void> {
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [endpoint] },
  });
  expect(response.status, await response.clone().text()).toBe(201);
}
