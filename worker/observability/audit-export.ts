// The audit export: a ReadableStream that pages through the audit log (keyset
// cursor, EXPORT_PAGE_SIZE rows per D1 read) and encodes each page as NDJSON
// or CSV as the client reads, so an export of any size holds one page in
// memory and the first bytes leave before the last rows are read.
import type { AuditEvent, AuditLog, AuditQuery } from "../store/audit-log.ts";

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_PAGE_SIZE = 500;

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

/** CSV columns, in order (the event's fields; `detail` as JSON text). */
export const CSV_COLUMNS = [
  "id",
  "occurredAt",
  "tenant",
  "requestId",
  "category",
  "subject",
  "issuer",
  "serverId",
  "serverPath",
  "method",
  "tool",
  "decision",
  "reason",
  "outcome",
  "upstreamStatus",
  "durationMs",
  "detail",
] as const satisfies readonly (keyof AuditEvent)[];

export function exportStream(
  log: AuditLog,
  tenant: string,
  query: Omit<AuditQuery, "limit" | "cursor">,
  format: ExportFormat,
  pageSize = EXPORT_PAGE_SIZE,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: string | undefined;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const header = !started && format === "csv" ? `${CSV_COLUMNS.join(",")}\r\n` : "";
      started = true;
      const page = await log.list(tenant, { ...query, limit: pageSize, cursor });
      const body = page.items.map(format === "csv" ? csvLine : ndjsonLine).join("");
      if (header || body) controller.enqueue(encoder.encode(header + body));
      if (page.nextCursor === null) controller.close();
      else cursor = page.nextCursor;
    },
  });
}

function ndjsonLine(event: AuditEvent): string {
  return `${JSON.stringify(event)}\n`;
}

export function csvLine(event: AuditEvent): string {
  return `${CSV_COLUMNS.map((column) => csvCell(event[column])).join(",")}\r\n`;
}

/**
 * RFC 4180: a cell holding a comma, quote, CR or LF is quoted with quotes
 * doubled. A text cell starting with `=`, `+`, `-`, `@`, tab or CR gets a
 * leading `'` so a spreadsheet does not run it as a formula (OWASP CSV
 * injection); numbers are written as they are.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
