// The audit export streams: 10,000 rows inserted into real D1 in batches come
// back as 10,000 NDJSON lines (and a CSV with a header row) through a
// ReadableStream read chunk by chunk, never as one string built up front.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { EXPORT_PAGE_SIZE } from "../../worker/observability/audit-export.ts";
import { api } from "../support/api.ts";

const ROWS = 10_000;
const BATCH = 100;
const METHOD = "bulk.export-test";

beforeAll(async () => {
  const insert = env.DB.prepare(
    `INSERT INTO audit_events (id, tenant, occurred_at, request_id, category, subject, method, decision, outcome, detail)
     VALUES (?, 'default', ?, 'bulk', 'admin', ?, ?, 'allow', 'ok', ?)`,
  );
  const start = Date.parse("2026-01-01T00:00:00Z");
  for (let offset = 0; offset < ROWS; offset += BATCH) {
    const statements = [];
    for (let i = offset; i < offset + BATCH; i++) {
      statements.push(
        insert.bind(
          `bulk-${i.toString().padStart(5, "0")}`,
          // Pairs share a timestamp, so the cursor's id tie-break is exercised.
          new Date(start + Math.floor(i / 2) * 1000).toISOString(),
          // Text that needs CSV quoting (comma, quote) and a formula lookalike.
          i % 3 === 0 ? `=user,"${i}"` : `user-${i}`,
          METHOD,
          JSON.stringify({ n: i, note: 'a "quoted", value' }),
        ),
      );
    }
    await env.DB.batch(statements);
  }
});

/** Reads a streamed body chunk by chunk; how many chunks and the text. */
async function readStream(body: ReadableStream<Uint8Array>): Promise<{ chunks: number; text: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let chunks = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks++;
    text += decoder.decode(value, { stream: true });
  }
  return { chunks, text: text + decoder.decode() };
}

describe("audit export", () => {
  it("streams 10,000 events as NDJSON, every row once, newest first", async () => {
    const response = await api(`/api/v1/audit/export?format=ndjson&method=${METHOD}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-.*\.ndjson"$/);
    expect(response.body).toBeInstanceOf(ReadableStream);
    const { chunks, text } = await readStream(response.body as ReadableStream<Uint8Array>);
    // One chunk per D1 page: the export never held more than a page.
    expect(chunks).toBeGreaterThanOrEqual(ROWS / EXPORT_PAGE_SIZE);
    const lines = text.split("\n").filter(Boolean);
    expect(lines).toHaveLength(ROWS);
    const ids = lines.map((line) => (JSON.parse(line) as { id: string }).id);
    expect(new Set(ids).size).toBe(ROWS);
    expect(ids[0]).toBe("bulk-09999");
    expect(ids.at(-1)).toBe("bulk-00000");
  });

  it("streams the same rows as CSV with a header and correct quoting", async () => {
    const response = await api(`/api/v1/audit/export?format=csv&method=${METHOD}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    const { chunks, text } = await readStream(response.body as ReadableStream<Uint8Array>);
    expect(chunks).toBeGreaterThan(1);
    const lines = text.split("\r\n").filter(Boolean);
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines[0]?.startsWith("id,occurredAt,tenant,requestId,category,subject,")).toBe(true);
    const quoted = lines.find((line) => line.startsWith("bulk-09999,"));
    expect(quoted).toContain(`"'=user,""9999"""`);
    expect(quoted).toContain(`"{""n"":9999,""note"":""a \\""quoted\\"", value""}"`);
  });

  it("applies filters to the export (a time range that holds 20 rows)", async () => {
    const response = await api(
      `/api/v1/audit/export?method=${METHOD}&from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:10Z`,
    );
    const { text } = await readStream(response.body as ReadableStream<Uint8Array>);
    expect(text.split("\n").filter(Boolean)).toHaveLength(20);
  });
});
