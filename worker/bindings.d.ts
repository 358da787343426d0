// Secrets are not declared in wrangler.toml, so `wrangler types` cannot see
// them; they are declared here. Values come from `.dev.vars` locally (written
// by `npm start`) and from `wrangler secret put` in production.
declare namespace Cloudflare {
  interface Env {
    /** The gateway's token signing key: a private ES256 (P-256) JWK as JSON. */
    TOKEN_SIGNING_KEY?: string;
    /** The previous signing key (public JWK suffices), still accepted after a rotation. */
    TOKEN_SIGNING_KEY_PREVIOUS?: string;
    /** Development login (only with DEV_MODE=true, never in production). */
    DEV_ADMIN_USERNAME?: string;
    DEV_ADMIN_PASSWORD?: string;
    /** Trusted identity providers (JSON array; see README "Authentication"). */
    AUTH_ISSUERS?: string;
    /** The gateway's public origin, e.g. https://mcp.example.com (required in production). */
    PUBLIC_URL?: string;
    /** Bearer token Prometheus sends to GET /metrics (README "Observability"). */
    METRICS_SCRAPE_TOKEN?: string;
    /** Extra OTLP export headers, `name=value,...` (e.g. a vendor API key). */
    OTEL_EXPORTER_OTLP_HEADERS?: string;
    /** Workers Analytics Engine dataset ([env.production]): one data point per MCP request. */
    ANALYTICS?: AnalyticsEngineDataset;
  }
}
