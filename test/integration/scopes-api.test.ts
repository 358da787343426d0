// /api/v1/scopes through the real app and D1: read as JSON or YAML, replace
// with JSON or YAML, validation errors naming fields and lines (and leaving
// the stored document alone), optimistic concurrency, admins only.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import defaultScopesYaml from "../../config/scopes.yml";
import { parseScopesYaml } from "../../worker/policy/scopes-yaml.ts";
import { BASE, type Problem, problemOf } from "../support/api.ts";
import { apiAs, principal, uniqueTenant, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();

const tenant = uniqueTenant("scopes-api");
const admin = principal({ tenant, subject: "root", groups: ["mcp-registry-admin"] });
const finance = principal({ tenant, subject: "finance-bot", groups: ["lob-finance-bot"] });

interface View {
  revision: number;
  updatedAt: string;
  updatedBy: string;
  document: Record<string, unknown>;
}

type FieldProblem = Problem & {
  errors?: { field: string; message: string; line?: number }[];
  reason?: string;
};

async function current(): Promise<View> {
  const response = await apiAs(admin, "/api/v1/scopes");
  expect(response.status).toBe(200);
  return (await response.json()) as View;
}

async function rejected(response: Response, status: number): Promise<FieldProblem> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await problemOf(response)) as FieldProblem;
}

const replacement = `# finance bots may now manage scopes too
group_mappings:
  mcp-registry-admin: [admin]
  lob-finance-bot: [admin]
ui_scopes:
  admin:
    manage_scopes: [all]
    list_service: [all]
`;

describe("reading", () => {
  it("seeds the default document on first use and returns it as JSON with its revision", async () => {
    const response = await apiAs(admin, "/api/v1/scopes");
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"1"');
    const view = (await response.json()) as View;
    const expected = parseScopesYaml(defaultScopesYaml);
    expect(view).toMatchObject({ revision: 1, updatedBy: "system:default" });
    expect(expected.ok && view.document).toEqual(expected.ok && expected.document);
  });

  it("returns YAML when asked, and from /export", async () => {
    const view = await current();
    for (const response of [
      await apiAs(admin, "/api/v1/scopes", { headers: { accept: "application/yaml" } }),
      await apiAs(admin, "/api/v1/scopes", {
        headers: { accept: "text/yaml;q=0.9, application/json;q=0.5" },
      }),
      await apiAs(admin, "/api/v1/scopes/export"),
    ]) {
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/yaml/);
      expect(response.headers.get("etag")).toBe(`"${view.revision}"`);
      const text = await response.text();
      expect(text).toMatch(/^# Scopes configuration of tenant/);
      expect(parse(text)).toEqual(view.document);
    }
    const json = await apiAs(admin, "/api/v1/scopes", {
      headers: { accept: "application/yaml, application/json" },
    });
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("is for admins only", async () => {
    for (const url of ["/api/v1/scopes", "/api/v1/scopes/export"]) {
      const problem = await rejected(await apiAs(finance, url), 403);
      expect(problem.reason).toBe("action_not_granted");
    }
    const response = await exports.default.fetch(`${BASE}/api/v1/scopes`);
    expect(response.status).toBe(401);
  });
});

describe("replacing: validation", () => {
  it("refuses invalid YAML with its line, leaving the stored document alone", async () => {
    const before = await current();
    const problem = await rejected(
      await apiAs(admin, "/api/v1/scopes", { method: "PUT", yaml: "group_mappings:\n  admins: [admin\n" }),
      422,
    );
    expect(problem.errors?.[0]).toMatchObject({ field: "", line: expect.any(Number) });
    expect(await current()).toEqual(before);
  });

  it("names an unknown action and its line", async () => {
    const before = await current();
    const yaml = "ui_scopes:\n  admin:\n    manage_scopes: [all]\n    delete_everything: [all]\n";
    const problem = await rejected(await apiAs(admin, "/api/v1/scopes", { method: "PUT", yaml }), 422);
    expect(problem.errors).toEqual([
      {
        field: "ui_scopes.admin.delete_everything",
        line: 4,
        message: expect.stringMatching(/^unknown action/),
      },
    ]);
    expect(await current()).toEqual(before);
  });

  it("names each bad field of a JSON body", async () => {
    const before = await current();
    const problem = await rejected(
      await apiAs(admin, "/api/v1/scopes", {
        method: "PUT",
        json: {
          group_mappings: { "mcp-registry-admin": ["admin", "missing"] },
          ui_scopes: { admin: { manage_scopes: ["all"] } },
          server_scopes: { admin: [{ server: "Bad Name", methods: ["tools/call"] }] },
          tool_rules: [{ pattern: "x", action: "deny" }],
        },
      }),
      422,
    );
    expect(problem.errors?.map((error) => error.field).sort()).toEqual([
      "group_mappings.mcp-registry-admin.1",
      "server_scopes.admin.0.server",
      "server_scopes.admin.0.tools",
      "tool_rules.0.priority",
    ]);
    expect(await current()).toEqual(before);
  });

  it("answers malformed JSON with 400 and other media types with 415", async () => {
    await rejected(
      await apiAs(admin, "/api/v1/scopes", {
        method: "PUT",
        body: "{",
        headers: { "content-type": "application/json" },
      }),
      400,
    );
    await rejected(
      await apiAs(admin, "/api/v1/scopes", {
        method: "PUT",
        body: "x",
        headers: { "content-type": "text/plain" },
      }),
      415,
    );
  });

  it("refuses a document that would lock the caller out", async () => {
    const before = await current();
    const problem = await rejected(
      await apiAs(admin, "/api/v1/scopes", {
        method: "PUT",
        yaml: "ui_scopes:\n  x: {list_service: [all]}\n",
      }),
      422,
    );
    expect(problem.detail).toMatch(/manage_scopes/);
    expect(await current()).toEqual(before);
  });

  it("refuses a non-admin before looking at the body", async () => {
    const problem = await rejected(
      await apiAs(finance, "/api/v1/scopes", {
        method: "PUT",
        body: "x",
        headers: { "content-type": "text/plain" },
      }),
      403,
    );
    expect(problem.reason).toBe("action_not_granted");
  });
});

describe("replacing", () => {
  it("stores YAML as the next revision, effective at once", async () => {
    const before = await current();
    await rejected(await apiAs(finance, "/api/v1/scopes"), 403);
    const response = await apiAs(admin, "/api/v1/scopes", { method: "PUT", yaml: replacement });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get("etag")).toBe(`"${before.revision + 1}"`);
    const stored = (await response.json()) as View;
    expect(stored).toMatchObject({ revision: before.revision + 1, updatedBy: admin.subject });
    expect(stored.document).toMatchObject({ group_mappings: { "lob-finance-bot": ["admin"] } });
    // The finance bot now holds manage_scopes.
    expect((await apiAs(finance, "/api/v1/scopes")).status).toBe(200);
  });

  it("replaces only from the revision named in If-Match", async () => {
    const before = await current();
    const stale = await apiAs(admin, "/api/v1/scopes", {
      method: "PUT",
      yaml: replacement,
      headers: { "if-match": `"${before.revision - 1}"` },
    });
    await rejected(stale, 412);
    await rejected(
      await apiAs(admin, "/api/v1/scopes", {
        method: "PUT",
        yaml: replacement,
        headers: { "if-match": "three" },
      }),
      400,
    );
    const fresh = await apiAs(admin, "/api/v1/scopes", {
      method: "PUT",
      json: parse(replacement),
      headers: { "if-match": `"${before.revision}"` },
    });
    expect(fresh.status).toBe(200);
    expect(((await fresh.json()) as View).revision).toBe(before.revision + 1);
  });
});

describe("the OpenAPI document", () => {
  it("describes the scopes routes and the document schema", async () => {
    const response = await exports.default.fetch(`${BASE}/api/v1/openapi.json`);
    const doc = (await response.json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths["/scopes"] ?? {}).sort()).toEqual(["get", "put"]);
    expect(doc.paths["/scopes/export"]?.get).toBeDefined();
    expect(doc.components.schemas.ScopesDocument).toBeDefined();
  });
});
