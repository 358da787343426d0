// Scheduled upkeep (Cron Trigger): deletes token rows that stopped working
// more than TOKEN_RETENTION_DAYS ago, audit rows older than
// AUDIT_RETENTION_DAYS, usage rollups older than METRICS_RETENTION_DAYS and
// metric series not incremented for that long.
import type { ScheduledTask } from "../platform/scheduled-task.ts";
import { D1UpkeepStore } from "../store/d1/d1-upkeep-store.ts";
import type { MetricsStore } from "../store/metrics-store.ts";
import type { UpkeepStore } from "../store/upkeep-store.ts";
import type { ObservabilitySettings } from "./settings.ts";

const DAY_MS = 24 * 3600 * 1000;

export interface UpkeepReport {
  tokens: number;
  audit: number;
  usage: number;
  series: number;
}

/** The purges, given the stores and the clock (the scheduled task below supplies them). */
export async function purgeExpired(
  stores: { upkeep: UpkeepStore; metrics: MetricsStore },
  retention: ObservabilitySettings["retention"],
  now: number,
): Promise<UpkeepReport> {
  const iso = (days: number) => new Date(now - days * DAY_MS).toISOString();
  const metricsCutoff = now - retention.metricsDays * DAY_MS;
  const [tokens, audit, metrics] = await Promise.all([
    stores.upkeep.purgeTokens(iso(retention.tokenDays)),
    stores.upkeep.purgeAudit(iso(retention.auditDays)),
    stores.metrics.purge(metricsCutoff, Math.floor(metricsCutoff / 60_000)),
  ]);
  return { tokens, audit, usage: metrics.usage, series: metrics.series };
}

/** What the task needs from the composition root (worker/scheduled.ts), per environment. */
export interface UpkeepDeps {
  retention(env: Env): ObservabilitySettings["retention"];
  metricsStore(env: Env): MetricsStore;
}

export function observabilityUpkeep(deps: UpkeepDeps): ScheduledTask {
  return {
    name: "observability-upkeep",
    async run(env, controller) {
      const report = await purgeExpired(
        { upkeep: new D1UpkeepStore(env.DB), metrics: deps.metricsStore(env) },
        deps.retention(env),
        controller.scheduledTime,
      );
      console.log(JSON.stringify({ level: "info", event: "upkeep", ...report }));
    },
  };
}
