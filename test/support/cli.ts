// Runs the real mcpgw (cli/bin.js) as a child process for the e2e tests:
// its own config directory, optional stdin, exit code and both streams.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "cli", "bin.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliRun> {
  // No MCPGW_* or XDG_CONFIG_HOME from the developer's shell (Node drops undefined values).
  const unset = {
    MCPGW_URL: undefined,
    MCPGW_TOKEN: undefined,
    MCPGW_PASSWORD: undefined,
    XDG_CONFIG_HOME: undefined,
  };
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...unset, NO_COLOR: "1", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(options.stdin ?? "");
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
