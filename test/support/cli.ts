// Runs the real mcpgw (cli/bin.js) as a child process for the e2e tests:
// its own config directory, optional stdin, exit code and both streams.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type FinishedProcess, runToCompletion } from "../../scripts/processes.ts";

const BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "cli", "bin.js");

export type CliRun = FinishedProcess;

/** No MCPGW_* or XDG_CONFIG_HOME from the developer's shell (Node drops undefined values). */
function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const unset = {
    MCPGW_URL: undefined,
    MCPGW_TOKEN: undefined,
    MCPGW_PASSWORD: undefined,
    XDG_CONFIG_HOME: undefined,
  };
  return { ...process.env, ...unset, NO_COLOR: "1", ...env };
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliRun> {
  return runToCompletion(process.execPath, [BIN, ...args], {
    env: cliEnv(options.env),
    ...(options.stdin !== undefined && { stdin: options.stdin }),
  });
}

/** A running mcpgw whose output is read while it runs (the browser sign-in waits for the browser). */
export function startCli(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { env: cliEnv(env) });
}
