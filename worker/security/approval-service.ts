// Tool approvals: keeps the approval rows in step with every catalog read
// (ServerService calls `reconcile`), answers the MCP edge's question "which
// tools are approved on this server" (`pinsFor`, cached per isolate for 2 s
// and cleared at once by changes made here), and lets admins decide.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import type { AccessGuard } from "../registry/access-service.ts";
import type { ApprovalStatus, ApprovalStore, ToolApproval } from "../store/approval-store.ts";
import type { CatalogEntry, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import type { CatalogScan } from "./catalog-scanner.ts";
import { type PinSet, pinSet, planApprovals } from "./pinning.ts";
import type { SecuritySettings } from "./scan-settings.ts";

const CACHE_MS = 2_000;

export interface ApprovalServiceOptions {
  approvals: ApprovalStore;
  store: RegistryStore;
  access: AccessGuard;
  settings: SecuritySettings;
  now?: () => Date;
  newId?: () => string;
  /** Told when this isolate changes a server's approvals (registry/route-epoch.ts). */
  changes?: { changed(): void };
}

export class ApprovalService {
  private readonly cache = new Map<string, { at: number; pins: PinSet }>();
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly options: ApprovalServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  /** After a catalog read was stored: new, changed and flagged tools wait for approval. */
  async reconcile(server: ServerRecord, entries: CatalogEntry[], scan: CatalogScan | null): Promise<void> {
    const existing = await this.options.approvals.forServer(server.tenant, server.id);
    const held = new Set(
      scan && scan.policy.action !== "warn"
        ? scan.flagged.filter((ref) => ref.startsWith("tool:")).map((ref) => ref.slice("tool:".length))
        : [],
    );
    const plan = planApprovals(
      existing,
      entries.filter((entry) => entry.kind === "tool"),
      {
        tenant: server.tenant,
        serverId: server.id,
        mode: this.options.settings.toolApproval,
        held,
        now: this.now().toISOString(),
        newId: this.newId,
      },
    );
    if (plan.upserts.length + plan.deletions.length > 0) {
      await this.options.approvals.apply(plan.upserts, plan.deletions);
    }
    this.cache.delete(server.id);
    this.options.changes?.changed();
  }

  forget(serverId: string): void {
    this.cache.delete(serverId);
    this.options.changes?.changed();
  }

  /**
   * The approved tools of a server, for the MCP edge. Cached per isolate for
   * 2 s unless `fresh` (the aggregated endpoint's listings read the catalogs
   * from D1 anyway, so they read approvals with them; its calls check against
   * the directory's 2 s catalog cache and use this cache alike).
   */
  async pinsFor(tenant: string, serverId: string, options: { fresh?: boolean } = {}): Promise<PinSet> {
    return (await this.pinsEntry(tenant, serverId, options)).pins;
  }

  /** The approved tools with the time until which they are trusted (what is built from them expires with them). */
  async pinsEntry(
    tenant: string,
    serverId: string,
    options: { fresh?: boolean } = {},
  ): Promise<{ pins: PinSet; until: number }> {
    const cached = this.cache.get(serverId);
    if (!options.fresh && cached && Date.now() - cached.at < CACHE_MS)
      return { pins: cached.pins, until: cached.at + CACHE_MS };
    const at = Date.now();
    const rows = await this.options.approvals.forServer(tenant, serverId);
    const pins = pinSet(rows, this.options.settings.toolApproval, this.options.settings.undeclaredArguments);
    if (this.cache.size > 5_000) this.cache.clear();
    this.cache.set(serverId, { at, pins });
    return { pins, until: at + CACHE_MS };
  }

  /** Approvals the caller may decide (modify_service on the server), newest first. */
  async list(
    principal: Principal,
    query: { status?: ApprovalStatus; serverId?: string; limit: number },
  ): Promise<(ToolApproval & { serverPath: string })[]> {
    const rows = await this.options.approvals.list(principal.tenant, query);
    const grant = await this.options.access.resources(principal, "modify_service");
    const paths = new Map<string, string | null>();
    const visible: (ToolApproval & { serverPath: string })[] = [];
    for (const row of rows) {
      if (!paths.has(row.serverId)) {
        const server = await this.options.store.getServer(principal.tenant, row.serverId);
        paths.set(row.serverId, server?.path ?? null);
      }
      const path = paths.get(row.serverId);
      if (path && (grant.all || grant.names.includes(path))) visible.push({ ...row, serverPath: path });
    }
    return visible;
  }

  async decide(principal: Principal, id: string, verdict: "approve" | "reject"): Promise<ToolApproval> {
    const row = await this.options.approvals.get(principal.tenant, id);
    const server = row ? await this.options.store.getServer(principal.tenant, row.serverId) : null;
    if (!row || !server) throw new GatewayError("not-found", { detail: `No approval with id "${id}"` });
    await this.options.access.require(principal, {
      kind: "registry",
      action: "modify_service",
      resource: server.path,
    });
    if (row.status !== "pending") {
      throw new GatewayError("conflict", { detail: `Approval "${id}" is ${row.status}, not pending` });
    }
    const decidedAt = this.now().toISOString();
    const next: ToolApproval =
      verdict === "approve"
        ? {
            ...row,
            status: "approved",
            approvedFingerprint: row.pendingFingerprint,
            approvedDefinition: row.pendingDefinition,
            pendingFingerprint: null,
            pendingDefinition: null,
            decidedBy: principal.subject,
            decidedAt,
            updatedAt: decidedAt,
          }
        : { ...row, status: "rejected", decidedBy: principal.subject, decidedAt, updatedAt: decidedAt };
    // Only the definition the admin saw: a refresh that changed it since makes this a conflict.
    if (!(await this.options.approvals.decide(next, row.pendingFingerprint))) {
      throw new GatewayError("conflict", {
        detail: `Approval "${id}" changed while it was being decided; reload it`,
      });
    }
    this.cache.delete(row.serverId);
    this.options.changes?.changed();
    return next;
  }
}
