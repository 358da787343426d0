// Small helpers for calling the gateway's REST API from tests inside workerd.
import { env, exports } from "cloudflare:workers";

export const BASE = "http://gateway.test";

export function adminHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${env.ADMIN_TOKEN}`, ...extra };
}

export async function api(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, headers, ...rest } = init;
  const merged: Record<string, string> = adminHeaders(headers as Record<string, string>);
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
