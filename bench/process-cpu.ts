// CPU time of a local server process, for benchmarks that compare what the
// same work costs in two configurations: Linux only (/proc, `ss`). CPU time
// is what a busy shared machine disturbs least (being descheduled does not
// count), so it complements throughput figures taken there.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** The process listening on 127.0.0.1:`port` (wrangler dev: the workerd running the Worker). */
export function pidListeningOn(port: number): { pid: number; command: string } | null {
  let text: string;
  try {
    text = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
  } catch {
    return null;
  }
  const pid = Number(/pid=(\d+)/.exec(text)?.[1]);
  if (!pid) return null;
  return { pid, command: /users:\(\("([^"]+)"/.exec(text)?.[1] ?? "?" };
}

/**
 * Nanoseconds on CPU of every thread of `pid` so far (per-thread schedstat;
 * threads that exited no longer count, and workerd's threads live as long as
 * it does). Null when the process is gone or /proc has no schedstat.
 */
export function cpuNanoseconds(pid: number): number | null {
  try {
    let total = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8");
      total += Number(text.split(" ")[0]);
    }
    return total;
  } catch {
    return null;
  }
}
