// The D1 audit log's append on real D1: a flush's rows travel as one JSON
// text per statement (json_each), so every column must come back exactly as
// it went in (text, integers, NULLs, the JSON detail with awkward
// characters), a duplicate id must be dropped without failing the batch, and
// a flush larger than one statement's chunk must still store every row.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../worker/store/audit-log.ts";
import { D1AuditLog } from "../../worker/store/d1/d1-audit-log.ts";

const log = new D1AuditLog(env.DB);

function eventOf(tenant: string, index: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: `${tenant}-${String(index).padStart(4, "0")}`,
    tenant,
    occurredAt: new Date(Date.UTC(2026, 11, 6, 12, 0, 0, index)).toISOString(),
    requestId: `req-${index}`,
    category: "mcp",
    subject: index % 2 === 0 ? `user-${index}` : null,
    issuer: index % 3 === 0 ? null : "https://issuer.example",
    serverId: `srv-${index % 4}`,
    serverPath: "demo",
    method: "tools/call",
    tool: index % 5 === 0 ? null : "word_count",
    decision: index % 7 === 0 ? "deny" : "allow",
    reason: index % 7 === 0 ? "tool_not_granted" : null,
    outcome: index % 7 === 0 ? "denied" : "ok",
    upstreamStatus: index % 7 === 0 ? null : 200,
    durationMs: index,
    detail:
      index % 2 === 0 ? null : { arguments: { text: `quote " backslash \\ ${index} ünï 🙂` }, n: index },
    ...overrides,
  };
}

async function stored(tenant: string): Promise<AuditEvent[]> {
  return log.recent(tenant, { limit: 500 });
}

describe("D1AuditLog.append", () => {
  it("stores every column exactly, NULLs and JSON detail included", async () => {
    const events = Array.from({ length: 23 }, (_, index) => eventOf("t-exact", index));
    await log.append(events);
    const back = await stored("t-exact");
    const byId = new Map(back.map((event) => [event.id, event]));
    expect(back).toHaveLength(events.length);
    for (const event of events) expect(byId.get(event.id)).toEqual(event);
  });

  it("drops a duplicate id (in the same flush or a later one) and keeps the first", async () => {
    const first = eventOf("t-dup", 1, { outcome: "ok" });
    await log.append([first, eventOf("t-dup", 2), { ...first, outcome: "error" }]);
    await log.append([{ ...first, outcome: "timeout" }, eventOf("t-dup", 3)]);
    const back = await stored("t-dup");
    expect(back.map((event) => event.id).sort()).toEqual(["t-dup-0001", "t-dup-0002", "t-dup-0003"]);
    expect(back.find((event) => event.id === first.id)?.outcome).toBe("ok");
  });

  it("stores a flush larger than one statement's chunk (several statements in one batch)", async () => {
    // ~40 KB of arguments each: 30 events exceed the 512 KB chunk.
    const big = "x".repeat(40_000);
    const events = Array.from({ length: 30 }, (_, index) =>
      eventOf("t-big", index, { detail: { arguments: { text: big }, index } }),
    );
    await log.append(events);
    const back = await stored("t-big");
    expect(back).toHaveLength(30);
    expect(back.map((event) => (event.detail?.arguments as { text?: string } | undefined)?.text)).toEqual(
      events.map(() => big),
    );
  });

  it("writes nothing for an empty flush", async () => {
    await log.append([]);
    expect(await stored("t-empty")).toEqual([]);
  });
});
