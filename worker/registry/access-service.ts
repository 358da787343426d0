// Access control's I/O side: loads each tenant's scopes document from the
// ScopesStore (seeding the bundled default on first use), keeps it compiled
// per isolate, answers decisions, and reads/replaces/exports the document for
// admins. The decisions themselves are the pure functions in policy/.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import {
  type AccessRequest,
  allowedResources,
  type CompiledPolicy,
  compilePolicy,
  type Decision,
  type DecisionReason,
  decide,
  effectiveScopes,
  type RegistryAction,
  type ResourceGrant,
} from "../policy/access-policy.ts";
import { type ScopesDocument, validateScopesDocument } from "../policy/scopes-document.ts";
import { locateIssues, parseScopesYaml, scopesToYaml } from "../policy/scopes-yaml.ts";
import type { Viewer } from "../store/registry-store.ts";
import type { ScopesStore, StoredScopes } from "../store/scopes-store.ts";
import { viewerFor } from "./visibility.ts";

/** What ServerService (and other registry services) need from access control. */
export interface AccessGuard {
  /** Throws a 403 GatewayError (reason class, `insufficient_scope`) unless allowed. */
  require(principal: Principal, request: AccessRequest): Promise<void>;
  /** Everything, or the finite set of names, on which `action` is allowed. */
  resources(principal: Principal, action: RegistryAction): Promise<ResourceGrant>;
  /** Who is asking, for the visibility rule (registry/visibility.ts). */
  viewer(principal: Principal): Promise<Viewer>;
  /** Whether the action is allowed (no error). */
  allows(principal: Principal, request: AccessRequest): Promise<boolean>;
}

export interface AccessServiceOptions {
  store: ScopesStore;
  /** The YAML stored for a tenant that has no configuration yet (config/scopes.yml). */
  defaultDocumentYaml: string;
  /**
   * How long a compiled policy is trusted before the stored revision is read
   * again (one indexed single-row read). A replacement made through this
   * isolate applies at once; other isolates follow within this time.
   */
  recheckMs?: number;
  now?: () => Date;
  /** Told when this isolate replaces a tenant's document (registry/route-epoch.ts). */
  changes?: { changed(): void };
}

export const DEFAULT_RECHECK_MS = 5_000;
const SEEDED_BY = "system:default";

export interface ScopesView {
  revision: number;
  updatedAt: string;
  updatedBy: string;
  document: ScopesDocument;
}

export type ScopesFormat = "json" | "yaml";

interface CacheEntry {
  policy: CompiledPolicy;
  stored: StoredScopes;
  document: ScopesDocument;
  checkedAt: number;
}

const REASON_TEXT: Record<Exclude<DecisionReason, "granted">, string> = {
  no_scope: "Your identity holds no access scope on this gateway",
  action_not_granted: "Your access does not include this action",
  resource_not_granted: "Your access does not include this action on this resource",
  server_not_granted: "Your access does not include this server",
  method_not_granted: "Your access does not include this method on this server",
  tool_not_granted: "Your access does not include this tool",
  denied_by_rule: "This tool is blocked by policy",
};

/** Safe, human wording for a refusal; the reason class itself is public too. */
export function describeRefusal(reason: DecisionReason): string {
  return reason === "granted" ? "Allowed" : REASON_TEXT[reason];
}

/** The 403 for a refused decision: reason class public, the policy detail only in logs. */
export function forbidden(principal: Principal, decision: Decision): GatewayError {
  return new GatewayError("forbidden", {
    detail: describeRefusal(decision.reason),
    reason: decision.reason,
    internal: `access denied (${decision.reason}) for tenant "${principal.tenant}": ${decision.detail}`,
    headers: { "www-authenticate": 'Bearer error="insufficient_scope"' },
  });
}

export class AccessService implements AccessGuard {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<CacheEntry>>();
  private readonly recheckMs: number;
  private readonly now: () => Date;
  private defaultDocument: ScopesDocument | null = null;

  constructor(private readonly options: AccessServiceOptions) {
    this.recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
    this.now = options.now ?? (() => new Date());
  }

  /** The tenant's compiled policy, from the isolate's cache when it is fresh enough. */
  async policyFor(tenant: string): Promise<CompiledPolicy> {
    return (await this.current(tenant)).policy;
  }

  /**
   * The policy with the time until which this isolate trusts it without
   * reading the stored revision again: whatever is built from it (a cached
   * route, proxy/proxy-route.ts) must not be kept longer.
   */
  async policyEntry(tenant: string): Promise<{ policy: CompiledPolicy; until: number }> {
    const entry = await this.current(tenant);
    return { policy: entry.policy, until: entry.checkedAt + this.recheckMs };
  }

  async decide(principal: Principal, request: AccessRequest): Promise<Decision> {
    return decide(await this.policyFor(principal.tenant), principal, request);
  }

  /**
   * A caller's own effective scopes (group_mappings applied to its groups,
   * plus the scopes its token carries): what a token it mints may carry.
   */
  async effectiveScopesOf(principal: Principal): Promise<string[]> {
    return effectiveScopes(await this.policyFor(principal.tenant), principal);
  }

  /** The scope names the tenant's policy defines (advertised in protected-resource metadata). */
  async supportedScopes(tenant: string): Promise<string[]> {
    return [...(await this.policyFor(tenant)).knownScopes].sort();
  }

  async require(principal: Principal, request: AccessRequest): Promise<void> {
    const decision = await this.decide(principal, request);
    if (!decision.allow) throw forbidden(principal, decision);
  }

  async resources(principal: Principal, action: RegistryAction): Promise<ResourceGrant> {
    return allowedResources(await this.policyFor(principal.tenant), principal, action);
  }

  async viewer(principal: Principal): Promise<Viewer> {
    return viewerFor(await this.policyFor(principal.tenant), principal);
  }

  async allows(principal: Principal, request: AccessRequest): Promise<boolean> {
    return (await this.decide(principal, request)).allow;
  }

  /** 403 unless the principal may read and replace the scopes configuration. */
  async requireManager(principal: Principal): Promise<void> {
    await this.require(principal, { kind: "registry", action: "manage_scopes" });
  }

  /** The stored document (admins only: `manage_scopes`). Read from the store, not the cache. */
  async getDocument(principal: Principal): Promise<ScopesView> {
    await this.requireManager(principal);
    return view(await this.reload(principal.tenant));
  }

  async exportYaml(principal: Principal): Promise<{ yaml: string; revision: number }> {
    const current = await this.getDocument(principal);
    const yaml = scopesToYaml(current.document, [
      `Scopes configuration of tenant "${principal.tenant}", revision ${current.revision},`,
      `updated ${current.updatedAt} by ${current.updatedBy}. Import with PUT /api/v1/scopes.`,
    ]);
    return { yaml, revision: current.revision };
  }

  /**
   * Validates `text` (JSON or YAML) and stores it as the next revision. With
   * `expectedRevision` (from If-Match) the write happens only if nobody else
   * replaced the document meanwhile. A document that would take
   * `manage_scopes` away from the caller is refused, so an admin cannot lock
   * every admin out by accident.
   */
  async replaceDocument(
    principal: Principal,
    text: string,
    format: ScopesFormat,
    expectedRevision?: number,
  ): Promise<ScopesView> {
    await this.requireManager(principal);
    const document = parseDocumentText(text, format);

    const selfCheck = decide(compilePolicy(document), principal, {
      kind: "registry",
      action: "manage_scopes",
    });
    if (!selfCheck.allow) {
      throw new GatewayError("validation", {
        detail: "The new configuration would take manage_scopes away from you",
        errors: [
          {
            field: "",
            message: "no scope of yours would grant manage_scopes; keep it for your group or scopes",
          },
        ],
      });
    }

    const stored = await this.options.store.replace(
      principal.tenant,
      { document, updatedAt: this.now().toISOString(), updatedBy: principal.subject },
      expectedRevision,
    );
    if (!stored) {
      throw new GatewayError("precondition-failed", {
        detail: `The configuration is no longer at revision ${expectedRevision}; read it again and reapply your change`,
      });
    }
    const replaced = view(this.remember(principal.tenant, stored, this.now().getTime()));
    this.options.changes?.changed();
    return replaced;
  }

  private async current(tenant: string): Promise<CacheEntry> {
    const cached = this.cache.get(tenant);
    if (cached && this.now().getTime() - cached.checkedAt < this.recheckMs) return cached;
    // Concurrent requests of one isolate share a single reload.
    const pending = this.loading.get(tenant);
    if (pending) return pending;
    const loading = this.revalidate(tenant, cached).finally(() => this.loading.delete(tenant));
    this.loading.set(tenant, loading);
    return loading;
  }

  private async revalidate(tenant: string, cached: CacheEntry | undefined): Promise<CacheEntry> {
    if (cached) {
      const startedAt = this.now().getTime();
      const stamp = await this.options.store.stamp(tenant);
      // Revision and timestamp together: a different database (a fresh test
      // database, a restored backup) may reuse revision numbers.
      if (stamp && stamp.revision === cached.stored.revision && stamp.updatedAt === cached.stored.updatedAt) {
        const refreshed = { ...cached, checkedAt: startedAt };
        this.cache.set(tenant, refreshed);
        return refreshed;
      }
    }
    return this.reload(tenant);
  }

  private async reload(tenant: string): Promise<CacheEntry> {
    const startedAt = this.now().getTime();
    const stored =
      (await this.options.store.get(tenant)) ??
      (await this.options.store.insertIfAbsent(tenant, {
        document: this.defaults(),
        updatedAt: this.now().toISOString(),
        updatedBy: SEEDED_BY,
      }));
    return this.remember(tenant, stored, startedAt);
  }

  private remember(tenant: string, stored: StoredScopes, readAt: number): CacheEntry {
    const existing = this.cache.get(tenant);
    // A slow read must not overwrite a newer copy stored meanwhile by this isolate.
    if (existing && existing.stored.revision > stored.revision && existing.checkedAt > readAt)
      return existing;
    const result = validateScopesDocument(stored.document);
    if (!result.ok) {
      // Fail closed: a stored document this version cannot read allows nothing.
      throw new GatewayError("internal", {
        detail: "The access policy is misconfigured",
        internal: `stored scopes of tenant "${tenant}" (revision ${stored.revision}) are invalid: ${JSON.stringify(result.issues)}`,
      });
    }
    const entry: CacheEntry = {
      policy: compilePolicy(result.document),
      stored,
      document: result.document,
      checkedAt: readAt,
    };
    this.cache.set(tenant, entry);
    return entry;
  }

  private defaults(): ScopesDocument {
    if (this.defaultDocument) return this.defaultDocument;
    const parsed = parseScopesYaml(this.options.defaultDocumentYaml);
    if (!parsed.ok) {
      throw new GatewayError("internal", {
        detail: "The access policy is misconfigured",
        internal: `config/scopes.yml is invalid: ${JSON.stringify(parsed.errors)}`,
      });
    }
    this.defaultDocument = parsed.document;
    return parsed.document;
  }
}

/** JSON syntax errors are 400 like every JSON body; YAML syntax and content errors are 422 with lines. */
function parseDocumentText(text: string, format: ScopesFormat): ScopesDocument {
  if (format === "yaml") {
    const parsed = parseScopesYaml(text);
    if (parsed.ok) return parsed.document;
    throw new GatewayError("validation", {
      detail: parsed.syntax ? "The body is not valid YAML" : "The scopes configuration has invalid fields",
      errors: parsed.errors,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GatewayError("malformed-body", { internal: String(error) });
  }
  const result = validateScopesDocument(value);
  if (result.ok) return result.document;
  throw new GatewayError("validation", {
    detail: "The scopes configuration has invalid fields",
    errors: locateIssues(text, result.issues),
  });
}

function view(entry: CacheEntry): ScopesView {
  return {
    revision: entry.stored.revision,
    updatedAt: entry.stored.updatedAt,
    updatedBy: entry.stored.updatedBy,
    document: entry.document,
  };
}
