// worker/scheduled.ts: the Cron Trigger handler runs every registered task.
import { observabilityUpkeep } from "./observability/upkeep.ts";
import { healthCheckRearm } from "./resilience/health-rearm.ts";

export interface ScheduledTask {
  name: string;
  run(env: Env, controller: ScheduledController, ctx: ExecutionContext): Promise<void>;
}

export const scheduledTasks: ScheduledTask[] = [observabilityUpkeep, healthCheckRearm];

export async function runScheduled(env: Env, controller: ScheduledController, ctx: ExecutionContext) {
  // Tasks are independent: one failing must not keep the others from running.
  const results = await Promise.allSettled(scheduledTasks.map((task) => task.run(env, controller, ctx)));
  results.forEach((result, index) => {
    if (result.status === "fulfilled") return;
    console.error(
      JSON.stringify({
        level: "error",
        event: "scheduled_task_failed",
        task: scheduledTasks[index]?.name,
        cron: controller.cron,
        error: String(result.reason),
      }),
    );
  });
}
