// Access control on every /api/v1/servers route, through the real app and D1:
// a line-of-business bot sees only its servers (with correct pagination),
// gets 403 on everyone else's, and can register only where it is allowed.
import { beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { type Problem, problemOf } from "../support/api.ts";
import { apiAs, principal, uniqueTenant, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();

// Nothing listens on port 1: registration stores the server as unreachable, fast.
const DEAD_URL = "http://127.0.0.1:1/mcp";
const tenant = uniqueTenant("servers-access");
const run = `t${Date.now().toString(36)}${crypto.randomUUID().slice(0, 4)}`;
const path = (name: string) => `${run}-${name}`;
const NAMES = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
const FINANCE_SEES = ["b", "d", "f", "h", "j"];

const admin = principal({ tenant, subject: "root", groups: ["mcp-registry-admin"] });
const finance = principal({ tenant, subject: "finance-bot", groups: ["lob-finance-bot"] });
const support = principal({ tenant, subject: "support-bot", groups: ["lob-support-bot"] });
const nobody = principal({ tenant, subject: "nobody", groups: ["unknown"] });

const document = {
  group_mappings: {
    "mcp-registry-admin": ["admin"],
    "lob-finance-bot": ["lob-finance"],
    "lob-support-bot": ["lob-support"],
  },
  ui_scopes: {
    admin: {
      list_service: ["all"],
      register_service: ["all"],
      delete_service: ["all"],
      manage_scopes: ["all"],
    },
    "lob-finance": {
      list_service: FINANCE_SEES.map(path),
      modify_service: [path("b")],
      toggle_service: [path("b")],
      health_check_service: [path("b")],
      delete_service: [path("d")],
    },
    "lob-support": { register_service: [path("own")], list_service: [path("own")] },
  },
};

interface Server {
  id: string;
  path: string;
  enabled: boolean;
  description: string;
}

const ids = new Map<string, string>();
const idOf = (name: string) => {
  const id = ids.get(name);
  if (!id) throw new Error(`no server ${name}`);
  return id;
};

async function register(who: Principal, name: string): Promise<Response> {
  return apiAs(who, "/api/v1/servers", {
    method: "POST",
    json: { name: `Server ${name}`, path: path(name), endpoints: [{ url: DEAD_URL }] },
  });
}

async function listPaths(who: Principal, query = ""): Promise<{ pages: string[][]; all: string[] }> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const separator = query ? "&" : "";
    const url = `/api/v1/servers?${query}${separator}limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const response = await apiAs(who, url);
    expect(response.status, await response.clone().text()).toBe(200);
    const page = (await response.json()) as { items: Server[]; nextCursor: string | null };
    pages.push(page.items.map((server) => server.path));
    cursor = page.nextCursor;
  } while (cursor && pages.length < 20);
  return { pages, all: pages.flat() };
}

async function expectForbidden(response: Response, reason: string): Promise<Problem & { reason?: string }> {
  expect(response.status).toBe(403);
  expect(response.headers.get("www-authenticate")).toMatch(
    /^Bearer resource_metadata="https?:\/\/[^"]+\/\.well-known\/oauth-protected-resource", error="insufficient_scope"$/,
  );
  const problem = (await problemOf(response)) as Problem & { reason?: string };
  expect(problem.type).toBe("urn:mcp-gateway:problem:forbidden");
  expect(problem.reason).toBe(reason);
  // No policy internals: no scope, group, rule or subject names.
  const text = JSON.stringify(problem);
  for (const secret of ["lob-", "admin", "finance-bot", "group", "mcp-registry"])
    expect(text).not.toContain(secret);
  return problem;
}

beforeAll(async () => {
  const put = await apiAs(admin, "/api/v1/scopes", { method: "PUT", json: document });
  expect(put.status, await put.clone().text()).toBe(200);
  for (const name of NAMES) {
    const response = await register(admin, name);
    expect(response.status, await response.clone().text()).toBe(201);
    ids.set(name, ((await response.json()) as Server).id);
  }
});

describe("listing", () => {
  it("shows an admin every server of the tenant", async () => {
    const { all } = await listPaths(admin);
    expect(all).toEqual(NAMES.map(path));
  });

  it("shows a bot only its servers, in full pages until the last", async () => {
    const { pages } = await listPaths(finance);
    expect(pages).toEqual([[path("b"), path("d")], [path("f"), path("h")], [path("j")]]);
  });

  it("applies filters within what the bot may see", async () => {
    expect((await listPaths(finance, `path=${path("a")}`)).all).toEqual([]);
    expect((await listPaths(finance, `path=${path("f")}`)).all).toEqual([path("f")]);
    expect((await listPaths(finance, `text=${run}-h`)).all).toEqual([path("h")]);
  });

  it("shows nothing to a principal without scopes", async () => {
    expect(await listPaths(nobody)).toEqual({ pages: [[]], all: [] });
  });
});

describe("reading one server", () => {
  it("allows the bot's own server and its catalog", async () => {
    expect((await apiAs(finance, `/api/v1/servers/${idOf("b")}`)).status).toBe(200);
    for (const segment of ["tools", "resources", "prompts"]) {
      expect((await apiAs(finance, `/api/v1/servers/${idOf("b")}/${segment}`)).status).toBe(200);
    }
  });

  it("refuses another's server and its catalog with 403", async () => {
    await expectForbidden(await apiAs(finance, `/api/v1/servers/${idOf("a")}`), "resource_not_granted");
    for (const segment of ["tools", "resources", "prompts"]) {
      await expectForbidden(
        await apiAs(finance, `/api/v1/servers/${idOf("a")}/${segment}`),
        "resource_not_granted",
      );
    }
    await expectForbidden(await apiAs(nobody, `/api/v1/servers/${idOf("b")}`), "no_scope");
  });

  it("still answers 404 for a server that does not exist", async () => {
    expect((await apiAs(finance, "/api/v1/servers/no-such-id")).status).toBe(404);
  });
});

describe("changing servers", () => {
  it("modifies only where modify_service is granted, and never renames into another's path", async () => {
    const ok = await apiAs(finance, `/api/v1/servers/${idOf("b")}`, {
      method: "PATCH",
      json: { description: "changed by finance" },
    });
    expect(ok.status).toBe(200);
    await expectForbidden(
      await apiAs(finance, `/api/v1/servers/${idOf("a")}`, { method: "PATCH", json: { description: "x" } }),
      "resource_not_granted",
    );
    // list_service on d is not modify_service on d.
    await expectForbidden(
      await apiAs(finance, `/api/v1/servers/${idOf("d")}`, { method: "PATCH", json: { description: "x" } }),
      "resource_not_granted",
    );
    await expectForbidden(
      await apiAs(finance, `/api/v1/servers/${idOf("b")}`, { method: "PATCH", json: { path: path("zz") } }),
      "resource_not_granted",
    );
    const b = (await (await apiAs(admin, `/api/v1/servers/${idOf("b")}`)).json()) as Server;
    expect(b).toMatchObject({ path: path("b"), description: "changed by finance" });
  });

  it("toggles and refreshes only where granted", async () => {
    const disabled = await apiAs(finance, `/api/v1/servers/${idOf("b")}/disable`, { method: "POST" });
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as Server).enabled).toBe(false);
    expect((await apiAs(finance, `/api/v1/servers/${idOf("b")}/enable`, { method: "POST" })).status).toBe(
      200,
    );
    await expectForbidden(
      await apiAs(finance, `/api/v1/servers/${idOf("d")}/disable`, { method: "POST" }),
      "resource_not_granted",
    );
    expect((await apiAs(finance, `/api/v1/servers/${idOf("b")}/refresh`, { method: "POST" })).status).toBe(
      200,
    );
    await expectForbidden(
      await apiAs(finance, `/api/v1/servers/${idOf("f")}/refresh`, { method: "POST" }),
      "resource_not_granted",
    );
  });

  it("deletes only where delete_service is granted", async () => {
    await expectForbidden(
      await apiAs(finance, `/api/v1/servers/${idOf("b")}`, { method: "DELETE" }),
      "resource_not_granted",
    );
    expect((await apiAs(finance, `/api/v1/servers/${idOf("d")}`, { method: "DELETE" })).status).toBe(204);
    expect((await apiAs(admin, `/api/v1/servers/${idOf("d")}`)).status).toBe(404);
    expect((await listPaths(finance)).all).toEqual(["b", "f", "h", "j"].map(path));
  });
});

describe("registering", () => {
  it("refuses a principal without register_service", async () => {
    await expectForbidden(await register(finance, "fin-new"), "action_not_granted");
    await expectForbidden(await register(nobody, "nobody-new"), "no_scope");
  });

  it("allows register_service only on the named path", async () => {
    await expectForbidden(await register(support, "other"), "resource_not_granted");
    const created = await register(support, "own");
    expect(created.status, await created.clone().text()).toBe(201);
    expect((await listPaths(support)).all).toEqual([path("own")]);
  });
});
