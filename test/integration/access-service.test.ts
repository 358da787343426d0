// AccessService on real D1: seeding the default document on first use, the
// per-isolate cache and how fast another isolate's replacement takes effect,
// and the admin operations' guards.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import defaultScopesYaml from "../../config/scopes.yml";
import type { Principal } from "../../worker/auth/principal.ts";
import { GatewayError } from "../../worker/http/errors.ts";
import { AccessService } from "../../worker/registry/access-service.ts";
import { D1ScopesStore } from "../../worker/store/d1/d1-scopes-store.ts";
import type { ScopesStore } from "../../worker/store/scopes-store.ts";
import { uniqueTenant } from "../support/policy.ts";

const store = new D1ScopesStore(env.DB);

function setup(recheckMs = 5_000) {
  let clock = Date.parse("2026-11-21T10:00:00.000Z");
  const access = new AccessService({
    store,
    defaultDocumentYaml: defaultScopesYaml,
    recheckMs,
    now: () => new Date(clock),
  });
  const tenant = uniqueTenant();
  const as = (groups: string[]): Principal => ({
    subject: `s-${groups.join("-")}`,
    issuer: "https://idp.test",
    tenant,
    groups,
    scopes: [],
    kind: "user",
  });
  return {
    access,
    tenant,
    admin: as(["mcp-registry-admin"]),
    finance: as(["lob-finance-bot"]),
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const yamlGranting = (server: string) => `group_mappings:
  mcp-registry-admin: [admin]
  lob-finance-bot: [fin]
ui_scopes:
  admin: {manage_scopes: [all], list_service: [all]}
  fin: {list_service: [${server}]}
`;

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe("seeding", () => {
  it("stores the default document as revision 1 on first use, once", async () => {
    const { access, tenant, admin } = setup();
    const policies = await Promise.all([1, 2, 3].map(() => access.policyFor(tenant)));
    // Concurrent first uses each read (none awaits another's read), but only one stores the default.
    expect(policies).toContain(await access.policyFor(tenant));
    const stored = await store.get(tenant);
    expect(stored).toMatchObject({ revision: 1, updatedBy: "system:default" });
    const view = await access.getDocument(admin);
    expect(view.revision).toBe(1);
    expect(view.document.group_mappings["lob-finance-bot"]).toEqual(["lob-finance"]);
  });

  it("keeps a tenant's stored document rather than the default", async () => {
    const { access, tenant, finance } = setup();
    await store.insertIfAbsent(tenant, {
      document: { group_mappings: {}, ui_scopes: {}, server_scopes: {}, tool_rules: [] },
      updatedAt: "2026-01-01T00:00:00.000Z",
      updatedBy: "someone",
    });
    const decision = await access.decide(finance, {
      kind: "registry",
      action: "list_service",
      resource: "fininfo",
    });
    expect(decision.reason).toBe("no_scope");
  });
});

describe("the per-isolate cache", () => {
  it("never lets a request await a read another request started; keeps the finished one", async () => {
    // Under workerd a request awaiting another request's read resumes in that request's I/O context.
    let reads = 0;
    const counting: ScopesStore = {
      get: (tenant) => {
        reads += 1;
        return store.get(tenant);
      },
      stamp: (tenant) => store.stamp(tenant),
      insertIfAbsent: (tenant, write) => store.insertIfAbsent(tenant, write),
      replace: (tenant, write, expected) => store.replace(tenant, write, expected),
    };
    const access = new AccessService({
      store: counting,
      defaultDocumentYaml: defaultScopesYaml,
      recheckMs: 60_000,
    });
    const tenantB = uniqueTenant();
    await Promise.all([1, 2, 3, 4].map(() => access.policyFor(tenantB)));
    expect(reads).toBe(4);
    await Promise.all([1, 2, 3].map(() => access.policyFor(tenantB)));
    expect(reads).toBe(4);
  });

  it("applies a replacement made here at once", async () => {
    const { access, admin, finance } = setup();
    const list = () => access.resources(finance, "list_service");
    expect(await list()).toEqual({ all: false, names: ["fininfo", "ledger"] });
    await access.replaceDocument(admin, yamlGranting("other"), "yaml");
    expect(await list()).toEqual({ all: false, names: ["other"] });
  });

  it("notices another isolate's replacement once the recheck interval has passed", async () => {
    const { access, tenant, finance, advance } = setup(5_000);
    const list = () => access.resources(finance, "list_service");
    expect(await list()).toEqual({ all: false, names: ["fininfo", "ledger"] });

    // Another isolate (another AccessService) replaces the document.
    const elsewhere = setup().access;
    await elsewhere.replaceDocument(
      { ...finance, subject: "root", groups: ["mcp-registry-admin"] },
      yamlGranting("moved"),
      "yaml",
    );
    expect((await store.get(tenant))?.revision).toBe(2);

    advance(4_000);
    expect(await list()).toEqual({ all: false, names: ["fininfo", "ledger"] });
    advance(1_500);
    expect(await list()).toEqual({ all: false, names: ["moved"] });
  });

  it("fails closed when the stored document cannot be read", async () => {
    const { access, tenant, finance } = setup();
    await store.insertIfAbsent(tenant, {
      document: { ui_scopes: { x: { fly: ["all"] } } },
      updatedAt: "2026-01-01T00:00:00.000Z",
      updatedBy: "someone",
    });
    const error = await refusal(access.decide(finance, { kind: "registry", action: "list_service" }));
    expect(error.status).toBe(500);
    expect(error.internal).toContain(tenant);
  });
});

describe("administration", () => {
  it("requires manage_scopes, as a 403 with the reason class and insufficient_scope", async () => {
    const { access, finance } = setup();
    const error = await refusal(access.getDocument(finance));
    expect(error.status).toBe(403);
    expect(error.reason).toBe("action_not_granted");
    expect(error.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
    expect(error.detail).not.toContain("lob-finance");
    expect(error.internal).toContain("lob-finance");
  });

  it("refuses a document that would take manage_scopes away from the caller", async () => {
    const { access, tenant, admin } = setup();
    await access.policyFor(tenant);
    const error = await refusal(
      access.replaceDocument(admin, "ui_scopes:\n  admin: {list_service: [all]}\n", "yaml"),
    );
    expect(error.status).toBe(422);
    expect((await store.get(tenant))?.revision).toBe(1);
  });

  it("replaces only from the expected revision", async () => {
    const { access, tenant, admin } = setup();
    await access.policyFor(tenant);
    const stale = await refusal(access.replaceDocument(admin, yamlGranting("a"), "yaml", 5));
    expect(stale.status).toBe(412);
    const stored = await access.replaceDocument(admin, yamlGranting("a"), "yaml", 1);
    expect(stored).toMatchObject({ revision: 2, updatedBy: admin.subject });
  });
});
