// The Cron Trigger handler, run in workerd against real D1: rows past
// retention are deleted, newer ones kept; servers whose health checks look
// stopped get their ServerState alarm back.
import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { serverStateName } from "../../worker/platform/durable-objects.ts";
import { api, uniquePath } from "../support/api.ts";

const DAY = 24 * 3600 * 1000;
const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

async function insertToken(id: string, expiresAt: number, revokedAt: number | null) {
  await env.DB.prepare(
    `INSERT INTO vended_tokens (id, tenant, owner_issuer, subject, name, scopes, groups, created_at, expires_at, revoked_at)
     VALUES (?, 'upkeep', 'issuer', 'someone', 'test', '[]', '[]', ?, ?, ?)`,
  )
    .bind(id, iso(expiresAt - DAY), iso(expiresAt), revokedAt === null ? null : iso(revokedAt))
    .run();
}

async function insertAudit(id: string, at: number) {
  await env.DB.prepare(
    `INSERT INTO audit_events (id, tenant, occurred_at, request_id, category, decision, outcome)
     VALUES (?, 'upkeep', ?, 'r', 'mcp', 'allow', 'ok')`,
  )
    .bind(id, iso(at))
    .run();
}

async function insertUsage(minute: number) {
  await env.DB.prepare(
    `INSERT INTO usage_rollups (tenant, minute, server, method, tool, caller, calls) VALUES ('upkeep', ?, 's', 'tools/call', 't', 'c', 1)`,
  )
    .bind(minute)
    .run();
}

async function insertSeries(labels: string, updatedAt: number) {
  await env.DB.prepare(
    "INSERT INTO metric_series (name, labels, value, updated_at) VALUES ('mcp_requests_total', ?, 1, ?)",
  )
    .bind(labels, updatedAt)
    .run();
}

async function ids(sql: string): Promise<string[]> {
  const { results } = await env.DB.prepare(sql).all<{ id: string }>();
  return results.map((row) => String(row.id)).sort();
}

async function runCron(): Promise<void> {
  const controller = createScheduledController({ scheduledTime: NOW, cron: "*/5 * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("scheduled upkeep", () => {
  it("deletes rows past retention and keeps newer ones", async () => {
    // Defaults: tokens 7 days after they stopped working, audit 90 days, metrics 30 days.
    await insertToken("tok-expired-long-ago", NOW - 8 * DAY, null);
    await insertToken("tok-revoked-long-ago", NOW + 30 * DAY, NOW - 8 * DAY);
    await insertToken("tok-expired-recently", NOW - 2 * DAY, null);
    await insertToken("tok-revoked-recently", NOW + 30 * DAY, NOW - DAY);
    await insertToken("tok-live", NOW + 30 * DAY, null);
    await insertAudit("audit-old", NOW - 91 * DAY);
    await insertAudit("audit-new", NOW - 89 * DAY);
    const minute = Math.floor(NOW / 60_000);
    await insertUsage(minute - 31 * 24 * 60);
    await insertUsage(minute - 29 * 24 * 60);
    await insertSeries('tenant="upkeep",old="1"', NOW - 31 * DAY);
    await insertSeries('tenant="upkeep",new="1"', NOW - 29 * DAY);

    await runCron();

    expect(await ids("SELECT id FROM vended_tokens WHERE tenant = 'upkeep'")).toEqual([
      "tok-expired-recently",
      "tok-live",
      "tok-revoked-recently",
    ]);
    expect(await ids("SELECT id FROM audit_events WHERE tenant = 'upkeep'")).toEqual(["audit-new"]);
    expect(await ids("SELECT minute AS id FROM usage_rollups WHERE tenant = 'upkeep'")).toEqual([
      String(minute - 29 * 24 * 60),
    ]);
    expect(
      await ids("SELECT labels AS id FROM metric_series WHERE labels LIKE 'tenant=\"upkeep\"%'"),
    ).toEqual(['tenant="upkeep",new="1"']);
  });

  it("re-arms the health checks of a server whose alarm stopped", async () => {
    const path = uniquePath("rearm");
    const created = await api("/api/v1/servers", {
      method: "POST",
      json: { name: path, path, endpoints: [{ url: "http://127.0.0.1:9/mcp" }] },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    // As if registered long ago and its object had lost its alarm.
    await env.DB.prepare(
      "UPDATE servers SET created_at = ?1, health_detail = json_object('checkedAt', ?1) WHERE id = ?2",
    )
      .bind(iso(NOW - DAY), id)
      .run();
    const stub = env.SERVER_STATE.get(env.SERVER_STATE.idFromName(serverStateName(id)));
    await runInDurableObject(stub, async (_instance, state) => {
      await state.storage.deleteAlarm();
    });
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();

    await runCron();

    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).not.toBeNull();
  });
});
