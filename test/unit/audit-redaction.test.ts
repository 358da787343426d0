import { describe, expect, it } from "vitest";
import { adminEvent, auditedArguments, fieldDiff } from "../../worker/observability/audit-events.ts";
import { csvCell, csvLine } from "../../worker/observability/audit-export.ts";
import { FailedAuthLimiter } from "../../worker/observability/failed-auth-limiter.ts";
import { isSecretKey, looksLikeCredential, REDACTED, redact } from "../../worker/observability/redaction.ts";
import type { AuditEvent } from "../../worker/store/audit-log.ts";

describe("redaction", () => {
  it("hides values under secret-sounding keys, whatever they hold", () => {
    for (const key of [
      "password",
      "Password",
      "db_password",
      "passwd",
      "clientSecret",
      "client_secret",
      "token",
      "access_token",
      "refreshToken",
      "apiKey",
      "api-key",
      "X-API-Key",
      "key",
      "private_key",
      "Authorization",
      "proxy-authorization",
      "cookie",
      "Set-Cookie",
      "auth",
      "session_id",
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
  });

  it("keeps ordinary keys, including counters that only sound secret", () => {
    for (const key of [
      "query",
      "path",
      "keyword",
      "monkey",
      "max_tokens",
      "maxTokens",
      "tokenCount",
      "author",
      "city",
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it("recognises credential-looking values", () => {
    const jwt =
      "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVz";
    for (const value of [
      jwt,
      "Bearer abcdefghijklmnop",
      "basic dXNlcjpwYXNzd29yZA==",
      "sk-proj-4f9aQ2mZ7xL1",
      "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
      "AKIAIOSFODNN7EXAMPLE",
      "xoxb-1234567890-abcdefghij",
      "https://admin:hunter22@db.example.com/x",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIE...",
      "Zx9Qm2Lr8Tp4Wv7Yb3Nc6Hd1Kf5Gs0Ja",
    ]) {
      expect(looksLikeCredential(value), value).toBe(true);
    }
  });

  it("leaves prose, identifiers, UUIDs and short values alone", () => {
    for (const value of [
      "hello world",
      "read the file at /etc/hosts",
      "550e8400-e29b-41d4-a716-446655440000",
      "get_weather_forecast",
      "2026-12-06T01:02:03.000Z",
      "https://example.com/path?q=1",
      "12345",
      "skeleton-key",
    ]) {
      expect(looksLikeCredential(value), value).toBe(false);
    }
  });

  it("redacts nested structures and keeps their shape", () => {
    expect(
      redact({
        query: "weather in Paris",
        password: "hunter2",
        headers: { Authorization: "Bearer abc", accept: "json" },
        list: ["plain", "Bearer abcdefghijklmnop"],
        limit: 3,
        max_tokens: 200,
      }),
    ).toEqual({
      query: "weather in Paris",
      password: REDACTED,
      headers: { Authorization: REDACTED, accept: "json" },
      list: ["plain", REDACTED],
      limit: 3,
      max_tokens: 200,
    });
  });

  it("keeps arguments only as the server's auditArguments allows", () => {
    const args = { city: "Paris", apiKey: "abc" };
    expect(auditedArguments(undefined, args)).toBeUndefined();
    expect(auditedArguments("none", args)).toBeUndefined();
    expect(auditedArguments("redacted", args)).toEqual({ city: "Paris", apiKey: REDACTED });
    expect(auditedArguments("full", args)).toEqual(args);
  });
});

describe("admin diffs", () => {
  it("lists changed fields only, redacted, long values summarised", () => {
    const before = {
      name: "a",
      tags: ["x"],
      egress: { token: "s3cret" },
      updatedAt: "1",
      big: "x".repeat(10),
    };
    const after = { name: "b", tags: ["x"], egress: { token: "n3w" }, updatedAt: "2", big: "y".repeat(400) };
    expect(fieldDiff(before, after)).toEqual({
      name: { from: "a", to: "b" },
      egress: { from: { token: REDACTED }, to: { token: REDACTED } },
      big: { from: "x".repeat(10), to: "[402 characters]" },
    });
  });

  it("shows created and deleted records one-sided", () => {
    expect(fieldDiff(null, { id: "1", password: "p" })).toEqual({
      id: { to: "1" },
      password: { to: REDACTED },
    });
    expect(fieldDiff({ id: "1" }, null)).toEqual({ id: { from: "1" } });
  });

  it("builds one admin event with target, status and changes", () => {
    const event = adminEvent({ tenant: "t", subject: "root", issuer: "iss" }, "req", {
      action: "servers.update",
      target: { type: "server", id: "s1" },
      serverId: "s1",
      before: { description: "old" },
      after: { description: "new" },
      status: 200,
    });
    expect(event).toMatchObject({
      category: "admin",
      subject: "root",
      method: "servers.update",
      serverId: "s1",
      decision: "allow",
      outcome: "ok",
      detail: {
        target: { type: "server", id: "s1" },
        status: 200,
        changes: { description: { from: "old", to: "new" } },
      },
    });
    const refused = adminEvent({ tenant: "t", subject: "eve", issuer: "iss" }, "req", {
      action: "scopes.replace",
      target: { type: "scopes", id: null },
      status: 403,
    });
    expect(refused).toMatchObject({ decision: "deny", outcome: "denied", detail: { status: 403 } });
  });
});

describe("CSV cells", () => {
  it("quotes commas, quotes and line breaks (RFC 4180) and defuses formulas", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line1\nline2")).toBe('"line1\nline2"');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell(null)).toBe("");
    expect(csvCell(42)).toBe("42");
    expect(csvCell({ a: "b,c" })).toBe('"{""a"":""b,c""}"');
  });

  it("writes one line per event in column order", () => {
    const event: AuditEvent = {
      id: "e1",
      occurredAt: "2026-12-06T00:00:00.000Z",
      tenant: "t",
      requestId: "r",
      category: "admin",
      subject: "root",
      issuer: null,
      serverId: null,
      serverPath: null,
      method: "servers.create",
      tool: null,
      decision: "allow",
      reason: "granted",
      outcome: "ok",
      upstreamStatus: null,
      durationMs: 5,
      detail: { note: 'x "y"' },
    };
    expect(csvLine(event)).toBe(
      'e1,2026-12-06T00:00:00.000Z,t,r,admin,root,,,,servers.create,,allow,granted,ok,,5,"{""note"":""x \\""y\\""""}"\r\n',
    );
  });
});

describe("failed-authentication limiter", () => {
  it("gives each source a few slots per minute and counts the rest", () => {
    const limiter = new FailedAuthLimiter(3, 100);
    const minute = 60_000 * 1000;
    const slots = Array.from({ length: 10 }, () => limiter.take("10.0.0.1", minute));
    expect(slots.filter(Boolean).map((slot) => slot?.id)).toEqual([
      "auth-fail:1000:10.0.0.1:0",
      "auth-fail:1000:10.0.0.1:1",
      "auth-fail:1000:10.0.0.1:2",
    ]);
    expect(limiter.take("10.0.0.2", minute)).not.toBeNull();
    // The next minute: new slots, and the 7 dropped failures are reported with the first.
    expect(limiter.take("10.0.0.1", minute + 60_000)).toEqual({
      id: "auth-fail:1001:10.0.0.1:0",
      suppressed: 7,
    });
  });

  it("caps the isolate's total whatever the number of sources", () => {
    const limiter = new FailedAuthLimiter(5, 20);
    const taken = Array.from({ length: 200 }, (_, i) => limiter.take(`source-${i}`, 0)).filter(Boolean);
    expect(taken).toHaveLength(20);
  });
});
