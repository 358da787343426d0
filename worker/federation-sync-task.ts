// The federation part of the Cron Trigger (a ScheduledTask of worker/scheduled.ts):
// sync every source whose interval has passed. A file of its own next to
// services.ts, so federation/ never depends on the composition root.
import { getServices } from "./services.ts";

export const federationSyncTask = {
  name: "federation-sync",
  async run(env: Env): Promise<void> {
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
