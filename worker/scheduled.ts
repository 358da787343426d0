// worker/scheduled.ts: the Cron Trigger handler runs every registered task.
// It is the composition root for scheduled work: tasks get their settings and
// services from here, as arguments, never by looking them up. One module per
// feature's task; a failing task is logged and never stops the others (nor
// makes the invocation fail).
import { loadConfig } from "./env.ts";
import { federationSyncTask } from "./federation-sync-task.ts";
import { observabilityUpkeep } from "./observability/upkeep.ts";
import type { ScheduledTask } from "./platform/scheduled-task.ts";
import { healthCheckRearm } from "./resilience/health-rearm.ts";
import { getServices } from "./services.ts";

export type { ScheduledTask } from "./platform/scheduled-task.ts";

export const scheduledTasks: ScheduledTask[] = [
  federationSyncTask,
  observabilityUpkeep({
    retention: (env) => loadConfig(env).observability.retention,
    metricsStore: (env) => getServices(env).metrics.store,
  }),
  healthCheckRearm((env) => loadConfig(env).resilience.healthCheck.intervalSeconds),
];

export async function runScheduled(
  env: Env,
  controller: ScheduledController,
  ctx: ExecutionContext,
): Promise<void> {
  const results = await Promise.allSettled(scheduledTasks.map((task) => task.run(env, controller, ctx)));
  results.forEach((result, index) => {
    if (result.status === "rejected") {
      console.error(
        JSON.stringify({
          level: "error",
          event: "scheduled_task_failed",
          task: scheduledTasks[index]?.name,
          cron: controller.cron,
          error: String(result.reason),
        }),
      );
    }
  });
}
