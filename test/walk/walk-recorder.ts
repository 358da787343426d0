// Records the walk of one request through the gateway's own files, from the
// probes test/walk/walk-instrument.ts puts at the start of every function of
// worker/ and durable-objects/. A function's file is *entered* when the
// nearest gateway frame below it on the stack (async frames included) is in
// another file, or there is none (the runtime, a timer, a promise job). A
// call that comes back to its caller is not an entry; calling into a file
// again after leaving it, or a file's callback run by another file, is.

export interface Entry {
  file: string;
  /** The function entered, as the stack names it (`get audit`, `new AuditTrail`, `<anonymous>`). */
  name: string;
  /** The gateway file whose code called in, or null when the runtime did. */
  from: string | null;
}

export interface Walk {
  entries: Entry[];
  /** Each file once, in the order first entered. */
  files: string[];
  /** Entries into a file the walk had already entered. */
  returns: Entry[];
}

const FRAME = /((?:worker|durable-objects)\/[^():\s]+\.ts):\d+:\d+\)?$/;
const NAMED = /^at (?:async )?(.+?) \(/;

/** The gateway file of each stack frame below the probe's own (null for frames outside the gateway). */
function framesOf(lines: string[]): (string | null)[] {
  return lines.map((line) => FRAME.exec(line)?.[1] ?? null);
}

/** The probed function's name, without the receiver's type (`Object.fetch` is `fetch`). */
function nameOf(line: string): string {
  const name = NAMED.exec(line)?.[1] ?? "<anonymous>";
  return name.replace(/^(Object|Function|Module)\./, "").replace(/ \[as [^\]]+\]$/, "");
}

/** Runs `act` with every probe recording, and returns the walk of what ran. */
export async function recordWalk(act: () => Promise<void>): Promise<Walk> {
  const entries: Entry[] = [];
  const probes = globalThis as { __walkProbe?: (file: string) => void };
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  probes.__walkProbe = (file) => {
    // Line 0 is "Error", line 1 the probe's own frame, line 2 the probed function's (in `file`).
    const lines = (new Error().stack ?? "").split("\n").map((line) => line.trim());
    const caller = framesOf(lines.slice(3)).find((frame) => frame !== null) ?? null;
    if (caller !== file) entries.push({ file, name: nameOf(lines[2] ?? ""), from: caller });
  };
  try {
    await act();
  } finally {
    probes.__walkProbe = undefined;
    Error.stackTraceLimit = limit;
  }
  const files: string[] = [];
  const returns: Entry[] = [];
  for (const entry of entries) {
    if (files.includes(entry.file)) returns.push(entry);
    else files.push(entry.file);
  }
  return { entries, files, returns };
}

/** The walk as the documentation lists it: one line per entry, returns marked. */
export function renderWalk(walk: Walk): string {
  const returns = new Set(walk.returns);
  return walk.entries
    .map((entry, index) => {
      const from = entry.from === null ? "the runtime" : `\`${entry.from}\``;
      const mark = returns.has(entry) ? " (return)" : "";
      return `${index + 1}. \`${entry.file}\` \`${entry.name}\` from ${from}${mark}`;
    })
    .join("\n");
}
