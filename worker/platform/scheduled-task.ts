// The shape of one Cron Trigger task (worker/scheduled.ts runs the list). A
// leaf module, so task modules in any folder can implement it without
// importing the handler that lists them.
export interface ScheduledTask {
  name: string;
  run(env: Env, controller: ScheduledController, ctx: ExecutionContext): Promise<void>;
}
