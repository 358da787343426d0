// GET /metrics: the Prometheus text exposition of the gateway's metrics.
// Prometheus authenticates with the scrape token (METRICS_SCRAPE_TOKEN, as a
// bearer token) and sees every tenant; any other caller authenticates like on
// the API and needs the `view_metrics` registry action, and sees only its own
// tenant's series.
import type { MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { authenticate, bearerToken } from "../auth/authenticate.ts";
import {
  PROMETHEUS_CONTENT_TYPE,
  renderExposition,
  tenantFilter,
} from "../observability/metrics-exposition.ts";

type Env_ = { Bindings: Env; Variables: { metricsScraper: boolean } };

export function metricsRoutes() {
  const app = new Hono<Env_>();
  app.get("/metrics", scraperOrPrincipal(), async (c) => {
    const services = c.var.services;
    const scraper = c.get("metricsScraper") === true;
    if (!scraper) {
      await services.access.require(c.get("principal"), { kind: "registry", action: "view_metrics" });
    }
    // This isolate's increments of the last few milliseconds, so a scrape right after traffic sees them.
    await services.metrics.flush();
    const rows = await services.metrics.store.allSeries();
    const body = renderExposition(rows, scraper ? undefined : tenantFilter(c.get("principal").tenant));
    return c.body(body, 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" });
  });
  return app;
}

/** The scrape token lets Prometheus in; anything else goes through normal authentication. */
function scraperOrPrincipal(): MiddlewareHandler<Env_> {
  const authenticated = authenticate();
  return async (c, next) => {
    const expected = c.var.config.observability.scrapeToken;
    const presented = bearerToken(c.req.header("authorization"));
    if (expected !== null && presented !== null && (await sameSecret(presented, expected))) {
      c.set("metricsScraper", true);
      return next();
    }
    return authenticated(c as never, next);
  };
}

/** Constant-time comparison of digests (the lengths of the secrets do not leak either). */
async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
