// Scheduled task: health checks run on each server's ServerState alarm. An
// alarm that stopped (an object reset, a failed deploy) would leave a server's
// health frozen, so servers whose recorded check is older than a few
// intervals get `track` again, which sets the alarm only if none is pending.

import { serverStateName } from "../platform/durable-objects.ts";
import type { ScheduledTask } from "../platform/scheduled-task.ts";
import { D1UpkeepStore } from "../store/d1/d1-upkeep-store.ts";
import { serverRef } from "./state-types.ts";

/** Health is written to the registry at least every 5 minutes (ServerState), so older means stopped. */
const STALE_AFTER_MS = 15 * 60 * 1000;
const MAX_PER_RUN = 200;

/** `healthCheckSeconds` reads the configured interval (the composition root, worker/scheduled.ts, supplies it). */
export function healthCheckRearm(healthCheckSeconds: (env: Env) => number): ScheduledTask {
  return {
    name: "health-check-rearm",
    async run(env, controller) {
      const intervalMs = healthCheckSeconds(env) * 1000;
      const before = new Date(
        controller.scheduledTime - Math.max(STALE_AFTER_MS, 3 * intervalMs),
      ).toISOString();
      const stale = await new D1UpkeepStore(env.DB).serversCheckedBefore(before, MAX_PER_RUN);
      await Promise.all(
        stale.map((server) =>
          env.SERVER_STATE.get(env.SERVER_STATE.idFromName(serverStateName(server.id))).track(
            serverRef(server),
          ),
        ),
      );
      if (stale.length > 0) {
        console.log(JSON.stringify({ level: "info", event: "health_checks_rearmed", servers: stale.length }));
      }
    },
  };
}
