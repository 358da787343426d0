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

function parentOf(pid: number): number | null {
  try {
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]) || null;
  } catch {
    return null;
  }
}

/**
 * The processes of one `wrangler dev`: the parent of the process listening on
 * its port (wrangler's Node process) and every descendant of it. wrangler
 * starts two workerd processes, the one listening (its proxy) and the one
 * running the Worker, so the listener alone misses most of the Worker's cost.
 */
export function wranglerTreeOf(listeningPid: number): number[] {
  const root = parentOf(listeningPid) ?? listeningPid;
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!pid) continue;
    const parent = parentOf(pid);
    if (parent) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}
