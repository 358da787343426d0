// How the CLI speaks: results on stdout (JSON with --json, tables and lines
// otherwise), errors and progress on stderr so stdout stays parseable.
import type { Problem } from "../dashboard/src/api-types.ts";

export interface Streams {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processStreams: Streams = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export type Column<T> = [header: string, cell: (row: T) => unknown];

export class Output {
  readonly json: boolean;
  private readonly streams: Streams;

  constructor(json: boolean, streams: Streams = processStreams) {
    this.json = json;
    this.streams = streams;
  }

  /** The command's result: `data` as JSON with --json, else what `human` prints. */
  result(data: unknown, human: () => void): void {
    if (this.json) this.streams.out(`${JSON.stringify(data ?? null, null, 2)}\n`);
    else human();
  }

  line(text = ""): void {
    this.streams.out(`${text}\n`);
  }

  /** Text as it is (streamed exports), no newline added. */
  write(text: string): void {
    this.streams.out(text);
  }

  table<T>(rows: T[], columns: Column<T>[], empty = "(none)"): void {
    if (rows.length === 0) {
      this.line(empty);
      return;
    }
    const cells = rows.map((row) => columns.map(([, cell]) => cellText(cell(row))));
    const widths = columns.map(([header], index) =>
      Math.max(header.length, ...cells.map((row) => (row[index] ?? "").length)),
    );
    const format = (values: string[]) =>
      values
        .map((value, index) => (index === values.length - 1 ? value : value.padEnd(widths[index] ?? 0)))
        .join("  ")
        .trimEnd();
    this.line(format(columns.map(([header]) => header)));
    for (const row of cells) this.line(format(row));
  }

  /** Label: value lines, aligned. */
  fields(entries: [string, unknown][]): void {
    const width = Math.max(...entries.map(([label]) => label.length));
    for (const [label, value] of entries) this.line(`${`${label}:`.padEnd(width + 1)} ${cellText(value)}`);
  }

  /** Progress of a long operation, on stderr (also with --json). */
  progress(text: string): void {
    this.streams.err(`${text}\n`);
  }

  error(text: string): void {
    this.streams.err(`mcpgw: ${text}\n`);
  }
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (Array.isArray(value)) return value.map(cellText).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value).replace(/\s+/g, " ");
}

/** A problem+json error as lines: title, detail and each field error by name. */
export function problemLines(problem: Problem): string[] {
  const head = `${problem.status} ${problem.title}${problem.detail && problem.detail !== problem.title ? `: ${problem.detail}` : ""}`;
  const lines = [problem.reason ? `${head} (reason: ${problem.reason})` : head];
  for (const error of problem.errors ?? []) {
    const where = error.field === "" ? "(body)" : error.field;
    lines.push(`  ${where}${error.line !== undefined ? ` (line ${error.line})` : ""}: ${error.message}`);
  }
  return lines;
}

/** Shortens text to one table cell. */
export function clip(text: string | null | undefined, max = 60): string {
  if (!text) return "";
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
