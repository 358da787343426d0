// worker/scheduled.ts: the Cron Trigger handler runs every registered task.
// One module per feature's task; a failing task is logged and never stops
// the others (nor makes the invocation fail).
import { federationSyncTask } from "./federation-sync-task.ts";

export interface ScheduledTask {
  name: string;
  run(env: Env, controller: ScheduledController, ctx: ExecutionContext): Promise<void>;
}

export const scheduledTasks: ScheduledTask[] = [federationSyncTask];

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
