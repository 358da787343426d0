// Observability settings among the Worker's vars (parsed in env.ts with the
// rest of the configuration): metrics, the /metrics scrape token, tracing
// export and sampling, and how long the scheduled upkeep keeps rows.
import { z } from "zod";

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());
const flagOn = z
  .enum(["true", "false"])
  .transform((value) => value === "true")
  .default(true);
const flagOff = z
  .enum(["true", "false"])
  .transform((value) => value === "true")
  .default(false);
const days = (fallback: number) => z.coerce.number().int().min(1).max(3650).default(fallback);

/** Spread into the configuration schema in env.ts. */
export const ObservabilitySettingsShape = {
  /** Counters, histograms and usage rollups (D1) plus Analytics Engine data points. */
  METRICS_ENABLED: flagOn,
  /**
   * Also write every audit event to the Worker's logs as one JSON line (for
   * Workers Logs / Logpush). Off by default: the audit table (D1, `GET
   * /api/v1/audit`, export) is the audit record, and a console line per event
   * is the largest single CPU cost of a proxied call (bench:profile).
   */
  AUDIT_LOG_LINES: flagOff,
  /** Secret: `GET /metrics` with `Authorization: Bearer <token>` (for Prometheus). */
  METRICS_SCRAPE_TOKEN: optional(z.string().min(24, "must be at least 24 characters")),
  /** OTLP/HTTP traces endpoint (JSON), e.g. https://otel.example.com/v1/traces; unset: no export. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(
    z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  ),
  /** Secret: extra export headers, `name=value` pairs separated by commas (e.g. an API key). */
  OTEL_EXPORTER_OTLP_HEADERS: optional(z.string()),
  /**
   * Parent-based ratio sampling: the share (0..1) of traces the gateway starts
   * that are recorded; a caller's traceparent decides for its own trace (flag
   * 01: always recorded, 00: never). 10% by default, the usual production
   * setting; 1 records every trace (tests, debugging).
   */
  OTEL_TRACES_SAMPLER_RATIO: z.coerce.number().min(0).max(1).default(0.1),
  OTEL_SERVICE_NAME: z.string().min(1).max(100).default("mcp-gateway"),
  /** Upkeep (Cron Trigger): usage rollups and idle metric series. */
  METRICS_RETENTION_DAYS: days(30),
  AUDIT_RETENTION_DAYS: days(90),
  /** Expired or revoked token rows are deleted this long after they stopped working. */
  TOKEN_RETENTION_DAYS: days(7),
};

type ObservabilityValues = z.output<z.ZodObject<typeof ObservabilitySettingsShape>>;

export interface TracingSettings {
  /** Null: spans are not exported (traceparent is still propagated). */
  endpoint: string | null;
  headers: Record<string, string>;
  sampleRatio: number;
  serviceName: string;
}

export interface ObservabilitySettings {
  metricsEnabled: boolean;
  auditLogLines: boolean;
  scrapeToken: string | null;
  tracing: TracingSettings;
  retention: { metricsDays: number; auditDays: number; tokenDays: number };
}

export function observabilitySettings(values: ObservabilityValues): ObservabilitySettings {
  return {
    metricsEnabled: values.METRICS_ENABLED,
    auditLogLines: values.AUDIT_LOG_LINES,
    scrapeToken: values.METRICS_SCRAPE_TOKEN ?? null,
    tracing: {
      endpoint: values.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? null,
      headers: parseHeaderList(values.OTEL_EXPORTER_OTLP_HEADERS ?? ""),
      sampleRatio: values.OTEL_TRACES_SAMPLER_RATIO,
      serviceName: values.OTEL_SERVICE_NAME,
    },
    retention: {
      metricsDays: values.METRICS_RETENTION_DAYS,
      auditDays: values.AUDIT_RETENTION_DAYS,
      tokenDays: values.TOKEN_RETENTION_DAYS,
    },
  };
}

/** `a=1,b=2` (the OTEL_EXPORTER_OTLP_HEADERS convention; values may be percent-encoded). */
function parseHeaderList(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    headers[pair.slice(0, at).trim().toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}
