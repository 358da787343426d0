// The federation part of the Cron Trigger: sync every source whose interval
// has passed (worker/scheduled.ts runs it).
import type { ScheduledTask } from "../scheduled.ts";
import { getServices } from "../services.ts";

export const federationSyncTask: ScheduledTask = {
  name: "federation-sync",
  async run(env) {
    const reports = await getServices(env).federation.syncDue();
    if (reports.length > 0) {
      console.info(
        JSON.stringify({
          level: "info",
          event: "federation_scheduled_sync",
          sources: reports.length,
          failed: reports.filter((report) => report.status === "failed").length,
        }),
      );
    }
  },
};
