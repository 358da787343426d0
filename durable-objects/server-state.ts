// ServerState: one per registered server, named `server:{id}`. It owns what
// the gateway knows about the server's upstreams beyond the registry record:
// periodic MCP-level health checks on an alarm (status, latency, bounded
// history), the circuit breaker of each replica (fed by the outcomes isolates
// report and by the health checks), and the periodic catalog refresh with a
// record of what changed. Health is written back to the registry through
// ServerService when it changes, and pushed to the tenant's HealthHub.
// Everything lives in SQLite storage (layout in docs/storage.md), so the state
// survives eviction. RPC only.
import { DurableObject } from "cloudflare:workers";
import type { GatewayConfig } from "../worker/env.ts";
import {
  recordCatalogChanges,
  recordCircuitOpened,
  recordHealthCheck,
  type ServerEventSink,
} from "../worker/observability/hooks.ts";
import { healthHubStub } from "../worker/platform/durable-objects.ts";
import type { CatalogChange } from "../worker/resilience/catalog-diff.ts";
import {
  type Circuit,
  type CircuitSettings,
  closedCircuit,
  phaseAt,
  recordFailure,
  recordHealthy,
  recordSuccess,
  trip,
} from "../worker/resilience/circuit-breaker.ts";
import { checkConnect } from "../worker/resilience/connect-check.ts";
import { effectiveCircuit, effectiveHealthCheck } from "../worker/resilience/settings.ts";
import type {
  CatalogChangeRecord,
  HealthCheckRecord,
  HealthEvent,
  ReplicaCheck,
  ReportBatch,
  ServerRef,
  ServerStateView,
  StateSnapshot,
} from "../worker/resilience/state-types.ts";
import { type Services, servicesFor } from "../worker/services.ts";
import type { HealthSummary, ServerRecord, UpstreamEndpoint } from "../worker/store/registry-store.ts";
import { UNKNOWN_HEALTH } from "../worker/store/registry-store.ts";
import { applyEgress, MissingSecretError, secretsFromEnv } from "../worker/upstream/egress.ts";
import { probeReplica, summarizeChecks } from "../worker/upstream/health-probe.ts";

/** Keys of the synchronous KV store and the SQL tables (docs/storage.md). */
export const SERVER_STATE_STORAGE = {
  /** kv: the ServerRef (id, tenant, path, name) this object serves. */
  ref: "ref",
  /** kv: the current HealthSummary. */
  health: "health",
  /** kv: epoch ms when health was last written to the registry. */
  healthSavedAt: "health-saved-at",
  /** kv: epoch ms when the catalog is next re-read. */
  nextCatalogAt: "next-catalog-at",
  /** kv: Record<url, boolean>: whether a bare TCP connect check gives true answers for the replica. */
  connectCheck: "connect-check",
  /** SQL: one row per replica URL: its Circuit as JSON. */
  circuitsTable: "circuits",
  /** SQL: bounded history of health checks (HealthCheckRecord JSON), oldest pruned. */
  historyTable: "health_history",
  /** SQL: bounded record of catalog reads that found changes or failed (CatalogChangeRecord JSON). */
  changesTable: "catalog_changes",
} as const;

export const HISTORY_LIMIT = 100;
export const CHANGES_LIMIT = 50;
/** Health is rewritten to the registry at least this often even when unchanged (fresh latency). */
const HEALTH_SAVE_INTERVAL_MS = 5 * 60_000;

export interface ServerStateSnapshot extends StateSnapshot {
  /** Replicas whose TCP connect checks are known to be truthful (see connect-check.ts). */
  connectCheck: Record<string, boolean>;
}

export class ServerState extends DurableObject<Env> {
  private composition: { services: Services; config: GatewayConfig } | null = null;

  /** A Durable Object is its own entry point: it composes its services once, on first use. */
  private composed(): { services: Services; config: GatewayConfig } {
    this.composition ??= servicesFor(this.env);
    return this.composition;
  }

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS ${SERVER_STATE_STORAGE.circuitsTable} (url TEXT PRIMARY KEY, circuit TEXT NOT NULL)`,
    );
    sql.exec(
      `CREATE TABLE IF NOT EXISTS ${SERVER_STATE_STORAGE.historyTable} (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL)`,
    );
    sql.exec(
      `CREATE TABLE IF NOT EXISTS ${SERVER_STATE_STORAGE.changesTable} (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL)`,
    );
  }

  /** Starts periodic checks for the server (idempotent). */
  async track(ref: ServerRef, intervalSeconds?: number): Promise<void> {
    this.remember(ref);
    await this.ensureAlarm(intervalSeconds);
  }

  /** What isolates cache to choose replicas. */
  async snapshot(ref: ServerRef): Promise<ServerStateSnapshot> {
    this.remember(ref);
    await this.ensureAlarm();
    return this.currentSnapshot();
  }

  /** Outcomes of real requests, applied to the circuits; answers with the fresh snapshot. */
  async report(ref: ServerRef, batch: ReportBatch): Promise<ServerStateSnapshot> {
    this.remember(ref);
    let changed = false;
    for (const outcome of batch.outcomes) {
      const before = this.circuit(outcome.url);
      const after = outcome.ok
        ? recordSuccess(before, batch.settings, outcome.at)
        : recordFailure(before, batch.settings, outcome.at, outcome.reason ?? "request failed");
      if (after !== before) this.saveCircuit(outcome.url, after);
      if (after.phase !== before.phase) changed = true;
    }
    // Dashboards hear of circuits opening and closing; this request does not wait for it.
    if (changed) this.ctx.waitUntil(this.circuitsChanged());
    return this.currentSnapshot();
  }

  /** Health check and catalog refresh now (POST /api/v1/servers/{id}/refresh). */
  async refresh(ref: ServerRef): Promise<ServerStateView> {
    this.remember(ref);
    const server = await this.composed().services.servers.recordFor(ref.tenant, ref.id);
    if (server) {
      await this.check(server, "manual", true);
      await this.ensureAlarm();
    }
    return this.view();
  }

  async describe(ref: ServerRef): Promise<ServerStateView> {
    this.remember(ref);
    await this.ensureAlarm();
    return this.view();
  }

  /** The server was deleted: drop everything and stop the alarm. */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    const ref = this.ref();
    if (!ref) return;
    const config = this.composed().config.resilience;
    let intervalSeconds = config.healthCheck.intervalSeconds;
    try {
      const server = await this.composed().services.servers.recordFor(ref.tenant, ref.id);
      if (!server) {
        await this.forget();
        return;
      }
      const settings = effectiveHealthCheck(server, config);
      intervalSeconds = settings.intervalSeconds;
      if (settings.enabled && server.enabled) {
        const nextCatalogAt = this.ctx.storage.kv.get<number>(SERVER_STATE_STORAGE.nextCatalogAt);
        const catalogDue =
          config.catalogRefreshSeconds > 0 && nextCatalogAt !== undefined && nextCatalogAt <= Date.now();
        await this.check(server, "schedule", catalogDue);
      }
    } catch (error) {
      // Retrying the same alarm would not help; the next interval tries again.
      console.error(
        JSON.stringify({
          level: "error",
          event: "health_check_failed",
          serverId: ref.id,
          error: String(error),
        }),
      );
    }
    await this.ctx.storage.setAlarm(Date.now() + intervalSeconds * 1000);
  }

  // --- internals ------------------------------------------------------------

  private remember(ref: ServerRef): void {
    const known = this.ref();
    if (known && known.id === ref.id && known.path === ref.path && known.name === ref.name) return;
    this.ctx.storage.kv.put(SERVER_STATE_STORAGE.ref, {
      id: ref.id,
      tenant: ref.tenant,
      path: ref.path,
      name: ref.name,
    });
  }

  /** Where this object's metrics go (health checks, circuit openings, catalog changes). */
  private metricsSink(server: { tenant: string; path: string }): ServerEventSink;
  private metricsSink(): ServerEventSink | null;
  private metricsSink(server?: { tenant: string; path: string }): ServerEventSink | null {
    const owner = server ?? this.ref();
    if (!owner) return null;
    const metrics = this.composed().services.metrics;
    return { metrics, waitUntil: this.ctx, tenant: owner.tenant, server: owner.path };
  }

  private ref(): ServerRef | undefined {
    return this.ctx.storage.kv.get<ServerRef>(SERVER_STATE_STORAGE.ref);
  }

  private async ensureAlarm(intervalSeconds?: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) !== null) return;
    const config = this.composed().config.resilience;
    const seconds = intervalSeconds ?? config.healthCheck.intervalSeconds;
    await this.ctx.storage.setAlarm(Date.now() + seconds * 1000);
    if (this.ctx.storage.kv.get(SERVER_STATE_STORAGE.nextCatalogAt) === undefined) {
      this.ctx.storage.kv.put(
        SERVER_STATE_STORAGE.nextCatalogAt,
        Date.now() + config.catalogRefreshSeconds * 1000,
      );
    }
  }

  private currentSnapshot(): ServerStateSnapshot {
    const circuits: Record<string, Circuit> = {};
    for (const row of this.ctx.storage.sql.exec<{ url: string; circuit: string }>(
      `SELECT url, circuit FROM ${SERVER_STATE_STORAGE.circuitsTable}`,
    )) {
      circuits[row.url] = JSON.parse(row.circuit) as Circuit;
    }
    return {
      circuits,
      status: this.health().status,
      connectCheck: this.ctx.storage.kv.get<Record<string, boolean>>(SERVER_STATE_STORAGE.connectCheck) ?? {},
    };
  }

  private circuit(url: string): Circuit {
    const row = this.ctx.storage.sql
      .exec<{ circuit: string }>(
        `SELECT circuit FROM ${SERVER_STATE_STORAGE.circuitsTable} WHERE url = ?`,
        url,
      )
      .toArray()[0];
    return row ? (JSON.parse(row.circuit) as Circuit) : closedCircuit();
  }

  private saveCircuit(url: string, circuit: Circuit): void {
    if (circuit.phase === "open" && this.circuit(url).phase !== "open") {
      const sink = this.metricsSink();
      if (sink) recordCircuitOpened(sink);
    }
    this.ctx.storage.sql.exec(
      `INSERT INTO ${SERVER_STATE_STORAGE.circuitsTable} (url, circuit) VALUES (?, ?)
       ON CONFLICT(url) DO UPDATE SET circuit = excluded.circuit`,
      url,
      JSON.stringify(circuit),
    );
  }

  private health(): HealthSummary {
    return this.ctx.storage.kv.get<HealthSummary>(SERVER_STATE_STORAGE.health) ?? UNKNOWN_HEALTH;
  }

  /** Checks every replica, updates circuits and health, and (when asked) re-reads the catalog. */
  private async check(
    server: ServerRecord,
    trigger: "schedule" | "manual",
    withCatalog: boolean,
  ): Promise<void> {
    const config = this.composed().config.resilience;
    const settings = effectiveHealthCheck(server, config);
    const circuitSettings = effectiveCircuit(server, config);
    const checks = await Promise.all(
      server.endpoints.map((endpoint) => this.probe(server, endpoint, settings.timeoutMs)),
    );
    const now = Date.now();
    this.applyChecks(server, checks, circuitSettings, now);
    await this.learnConnectChecks(checks);
    const summary = summarizeChecks(checks, settings.degradedLatencyMs);
    const record: HealthCheckRecord = {
      at: new Date(now).toISOString(),
      status: summary.status,
      latencyMs: summary.latencyMs,
      replicas: checks,
      trigger,
    };
    this.appendBounded(SERVER_STATE_STORAGE.historyTable, record, HISTORY_LIMIT);
    recordHealthCheck(this.metricsSink(server), summary.status);

    if (withCatalog) {
      await this.refreshCatalog(server, trigger);
      this.ctx.storage.kv.put(
        SERVER_STATE_STORAGE.nextCatalogAt,
        Date.now() + Math.max(config.catalogRefreshSeconds, 1) * 1000,
      );
    }
    const previous = this.health();
    const next: HealthSummary = {
      status: summary.status,
      latencyMs: summary.latencyMs,
      checkedAt: record.at,
      changedAt: previous.status === summary.status ? previous.changedAt : record.at,
      error: summary.error,
      replicas: this.replicaHealth(server, checks, now),
    };
    await this.recordHealth(server, previous, next);
  }

  private async probe(
    server: ServerRecord,
    endpoint: UpstreamEndpoint,
    timeoutMs: number,
  ): Promise<ReplicaCheck> {
    let target: { url: string; headers: Record<string, string> };
    try {
      target = applyEgress(endpoint.url, server.egress, secretsFromEnv(this.env));
    } catch (error) {
      if (!(error instanceof MissingSecretError)) throw error;
      return { url: endpoint.url, ok: false, latencyMs: null, error: error.message };
    }
    return probeReplica(
      { url: target.url, transport: endpoint.transport, headers: target.headers },
      // Checked at every health check: the egress guard (issue 14), not only at registration.
      {
        url: endpoint.url,
        timeoutMs,
        fetch: this.composed().services.egress.fetch,
        unauthorizedIsAlive: server.egress?.type === "oauth",
      },
    );
  }

  private applyChecks(
    server: ServerRecord,
    checks: ReplicaCheck[],
    settings: CircuitSettings,
    now: number,
  ): void {
    const current = new Set(server.endpoints.map((endpoint) => endpoint.url));
    // Replicas that left the record leave their circuits behind.
    for (const row of this.ctx.storage.sql
      .exec<{ url: string }>(`SELECT url FROM ${SERVER_STATE_STORAGE.circuitsTable}`)
      .toArray()) {
      if (!current.has(row.url)) {
        this.ctx.storage.sql.exec(`DELETE FROM ${SERVER_STATE_STORAGE.circuitsTable} WHERE url = ?`, row.url);
      }
    }
    // (The health summary written after the checks carries the circuits' new phases.)
    for (const check of checks) {
      const before = this.circuit(check.url);
      let after: Circuit;
      if (check.ok) after = recordHealthy(before, now);
      else if (phaseAt(before, now) === "open") after = before;
      else after = trip(settings, now, `health check failed: ${check.error ?? "no answer"}`);
      if (after !== before) this.saveCircuit(check.url, after);
    }
  }

  /**
   * A TCP connect check proves "never sent" only if it tells the truth for
   * this replica: learnt here, where the MCP exchange just showed whether
   * the replica is really up. A connect that fails while MCP works (a host
   * behind a proxy that refuses raw sockets) marks the check unusable.
   */
  private async learnConnectChecks(checks: ReplicaCheck[]): Promise<void> {
    const known = this.ctx.storage.kv.get<Record<string, boolean>>(SERVER_STATE_STORAGE.connectCheck) ?? {};
    const next: Record<string, boolean> = {};
    const timeoutMs = this.composed().config.resilience.connectCheckTimeoutMs;
    await Promise.all(
      checks.map(async (check) => {
        if (!check.ok) {
          if (known[check.url] !== undefined) next[check.url] = known[check.url] as boolean;
          return;
        }
        next[check.url] = (await checkConnect(check.url, timeoutMs)) === "open";
      }),
    );
    this.ctx.storage.kv.put(SERVER_STATE_STORAGE.connectCheck, next);
  }

  private replicaHealth(
    server: ServerRecord,
    checks: ReplicaCheck[],
    now: number,
  ): HealthSummary["replicas"] {
    const byUrl = new Map(checks.map((check) => [check.url, check]));
    return server.endpoints.map((endpoint) => {
      const check = byUrl.get(endpoint.url);
      return {
        url: endpoint.url,
        status: check === undefined ? "unknown" : check.ok ? "up" : "down",
        latencyMs: check?.latencyMs ?? null,
        error: check?.error ?? null,
        circuit: phaseAt(this.circuit(endpoint.url), now),
      };
    });
  }

  private async refreshCatalog(server: ServerRecord, trigger: "schedule" | "manual"): Promise<void> {
    const refreshed = await this.composed().services.servers.refreshCatalogFor(server.tenant, server.id);
    if (!refreshed) return;
    const changes: CatalogChange[] = refreshed.changes;
    if (changes.length === 0 && refreshed.state.status === "ok") return;
    const record: CatalogChangeRecord = {
      at: new Date().toISOString(),
      trigger,
      status: refreshed.state.status,
      error: refreshed.state.error,
      changes,
    };
    this.appendBounded(SERVER_STATE_STORAGE.changesTable, record, CHANGES_LIMIT);
    recordCatalogChanges(this.metricsSink(server), changes);
  }

  /** Writes health to the registry and tells dashboards when it changed (or every few minutes for latency). */
  private async recordHealth(
    server: ServerRecord,
    previous: HealthSummary,
    next: HealthSummary,
  ): Promise<void> {
    this.ctx.storage.kv.put(SERVER_STATE_STORAGE.health, next);
    const changed = healthChanged(previous, next);
    const savedAt = this.ctx.storage.kv.get<number>(SERVER_STATE_STORAGE.healthSavedAt) ?? 0;
    if (!changed && Date.now() - savedAt < HEALTH_SAVE_INTERVAL_MS) return;
    await this.composed().services.servers.recordHealth(server.tenant, server.id, next);
    this.ctx.storage.kv.put(SERVER_STATE_STORAGE.healthSavedAt, Date.now());
    if (changed) await this.publish(server.tenant, server.id, server.path, server.name, previous, next);
  }

  /** After a circuit opened or closed through traffic: fold it into the health summary. */
  private async circuitsChanged(): Promise<void> {
    const ref = this.ref();
    if (!ref) return;
    const previous = this.health();
    const now = Date.now();
    const next: HealthSummary = {
      ...previous,
      replicas: previous.replicas.map((replica) => ({
        ...replica,
        circuit: phaseAt(this.circuit(replica.url), now),
      })),
    };
    if (!healthChanged(previous, next)) return;
    this.ctx.storage.kv.put(SERVER_STATE_STORAGE.health, next);
    try {
      await this.composed().services.servers.recordHealth(ref.tenant, ref.id, next);
      this.ctx.storage.kv.put(SERVER_STATE_STORAGE.healthSavedAt, Date.now());
      await this.publish(ref.tenant, ref.id, ref.path, ref.name, previous, next);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          event: "health_publish_failed",
          serverId: ref.id,
          error: String(error),
        }),
      );
    }
  }

  private async publish(
    tenant: string,
    serverId: string,
    path: string,
    name: string,
    previous: HealthSummary,
    health: HealthSummary,
  ): Promise<void> {
    const event: HealthEvent = {
      type: "health",
      serverId,
      path,
      name,
      health,
      previous: previous.checkedAt === null ? null : previous.status,
    };
    const hub = healthHubStub(this.env, tenant);
    await hub.publish(event);
  }

  private appendBounded(table: string, record: unknown, limit: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec(`INSERT INTO ${table} (record) VALUES (?)`, JSON.stringify(record));
    sql.exec(`DELETE FROM ${table} WHERE seq <= (SELECT MAX(seq) FROM ${table}) - ?`, limit);
  }

  private newestFirst<T>(table: string, limit: number): T[] {
    return this.ctx.storage.sql
      .exec<{ record: string }>(`SELECT record FROM ${table} ORDER BY seq DESC LIMIT ?`, limit)
      .toArray()
      .map((row) => JSON.parse(row.record) as T);
  }

  private async view(): Promise<ServerStateView> {
    const ref = this.ref();
    const circuits = this.ctx.storage.sql
      .exec<{ url: string; circuit: string }>(
        `SELECT url, circuit FROM ${SERVER_STATE_STORAGE.circuitsTable} ORDER BY url`,
      )
      .toArray()
      .map((row) => {
        const circuit = JSON.parse(row.circuit) as Circuit;
        const now = Date.now();
        return {
          url: row.url,
          phase: phaseAt(circuit, now),
          failures: circuit.failures,
          retryAt: circuit.retryAt === null ? null : new Date(circuit.retryAt).toISOString(),
          changedAt: new Date(circuit.changedAt).toISOString(),
          reason: circuit.reason,
        };
      });
    const alarm = await this.ctx.storage.getAlarm();
    return {
      serverId: ref?.id ?? "",
      health: this.health(),
      circuits,
      history: this.newestFirst<HealthCheckRecord>(SERVER_STATE_STORAGE.historyTable, HISTORY_LIMIT),
      catalogChanges: this.newestFirst<CatalogChangeRecord>(SERVER_STATE_STORAGE.changesTable, CHANGES_LIMIT),
      nextCheckAt: alarm === null ? null : new Date(alarm).toISOString(),
    };
  }
}

/** A change worth telling dashboards about: status, or any replica's status or circuit. */
function healthChanged(previous: HealthSummary, next: HealthSummary): boolean {
  if (previous.status !== next.status || previous.replicas.length !== next.replicas.length) return true;
  return next.replicas.some((replica, index) => {
    const before = previous.replicas[index];
    return (
      before === undefined ||
      before.url !== replica.url ||
      before.status !== replica.status ||
      before.circuit !== replica.circuit
    );
  });
}
