// The Auditor's two sinks: every event reaches the audit table in one batch
// after the response; a Worker log line per event only with AUDIT_LOG_LINES.
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuditInput, Auditor, type WaitUntil } from "../../worker/observability/audit.ts";
import type { AuditEvent, AuditLog } from "../../worker/store/audit-log.ts";

function memoryLog() {
  const stored: AuditEvent[][] = [];
  const log: AuditLog = {
    append: async (events) => {
      stored.push(events);
    },
    list: async () => ({ items: [], nextCursor: null }),
    recent: async () => [],
  };
  return { log, stored };
}

function input(tool: string): AuditInput {
  return {
    tenant: "default",
    requestId: `r-${tool}`,
    category: "mcp",
    subject: "alice",
    issuer: "https://issuer",
    serverId: "s1",
    serverPath: "demo",
    method: "tools/call",
    tool,
    decision: "allow",
    outcome: "ok",
    detail: {},
  } as AuditInput;
}

async function recordTwo(logLines: boolean | undefined) {
  const { log, stored } = memoryLog();
  const pending: Promise<unknown>[] = [];
  const ctx: WaitUntil = { waitUntil: (promise) => pending.push(promise) };
  const lines = vi.spyOn(console, "log").mockImplementation(() => {});
  const auditor = new Auditor(
    log,
    logLines === undefined ? { flushDelayMs: 0 } : { flushDelayMs: 0, logLines },
  );
  auditor.record(ctx, [input("a")]);
  auditor.record(ctx, [input("b")]);
  await Promise.all(pending);
  const logged = lines.mock.calls.map((call) => String(call[0]));
  lines.mockRestore();
  return { stored, logged };
}

describe("Auditor sinks", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes both events to the table in one batch and no log line by default", async () => {
    const { stored, logged } = await recordTwo(undefined);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.map((event) => event.tool)).toEqual(["a", "b"]);
    expect(logged).toEqual([]);
  });

  it("also logs one JSON line per event when log lines are on", async () => {
    const { stored, logged } = await recordTwo(true);
    expect(stored[0]).toHaveLength(2);
    expect(logged).toHaveLength(2);
    const parsed = logged.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((line) => [line.level, line.event, line.tool])).toEqual([
      ["info", "audit", "a"],
      ["info", "audit", "b"],
    ]);
    expect(parsed[0]?.id).toBe(stored[0]?.[0]?.id);
  });
});
