// The servers page: every server the user may list, as cards with live
// health; filters with totals (all, enabled, disabled, with issues).
import { useCallback, useEffect, useState } from "react";
import type { HealthSummary, Server } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { SortSelect } from "../components/sort-select.tsx";
import { useLiveHealth } from "../live-health.ts";
import { can } from "../permissions.ts";
import { type SortOrder, sortItems } from "../rating-order.ts";
import { Link, navigate, useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";
import { useNow } from "../use-now.ts";
import { ServerCard } from "./server-card.tsx";

type Filter = "all" | "enabled" | "disabled" | "issues";

const FILTERS: { id: Filter; label: string }[] = [
  { id: "all", label: "All" },
  { id: "enabled", label: "Enabled" },
  { id: "disabled", label: "Disabled" },
  { id: "issues", label: "With issues" },
];

function hasIssues(server: Server, health: HealthSummary): boolean {
  return (
    health.status === "unhealthy" || health.status === "degraded" || server.catalog.status === "unreachable"
  );
}

function matches(filter: Filter, server: Server, health: HealthSummary): boolean {
  if (filter === "enabled") return server.enabled;
  if (filter === "disabled") return !server.enabled;
  if (filter === "issues") return hasIssues(server, health);
  return true;
}

const LIVE_LABEL = { live: "Live", connecting: "Connecting…", offline: "Offline, retrying" } as const;

export function ServersPage() {
  const { api, who } = useSession();
  const { query } = useLocation();
  const filter = (FILTERS.find((item) => item.id === query.get("filter"))?.id ?? "all") as Filter;
  const [order, setOrder] = useState<SortOrder>("name");
  const [servers, setServers] = useState<Server[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const live = useLiveHealth(api, true);
  useNow(10_000);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      setServers(await api.listServers());
    } catch (caught) {
      setError(caught);
    } finally {
      setLoading(false);
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  const healthOf = (server: Server): HealthSummary => {
    const pushed = live.byServer.get(server.id);
    // The newer of what the list said and what the socket pushed.
    if (pushed && (!server.health.checkedAt || (pushed.checkedAt ?? "") >= server.health.checkedAt))
      return pushed;
    return server.health;
  };

  const replace = (updated: Server) =>
    setServers((current) => current?.map((item) => (item.id === updated.id ? updated : item)) ?? null);
  const drop = (id: string) => setServers((current) => current?.filter((item) => item.id !== id) ?? null);

  const all = servers ?? [];
  const totals = Object.fromEntries(
    FILTERS.map(({ id }) => [id, all.filter((server) => matches(id, server, healthOf(server))).length]),
  ) as Record<Filter, number>;
  const shown = sortItems(
    all.filter((server) => matches(filter, server, healthOf(server))),
    order,
    (server) => server.name,
  );

  return (
    <section aria-labelledby="servers-title" className="stack">
      <div className="page-head">
        <h1 id="servers-title">Servers</h1>
        <span className="live" data-status={live.status} role="status">
          <span className="health-dot" aria-hidden="true" /> {LIVE_LABEL[live.status]}
        </span>
        <span className="spacer" />
        <SortSelect value={order} onChange={setOrder} />
        <button type="button" className="button" onClick={() => void load()} disabled={loading}>
          {loading ? "Reloading…" : "Reload"}
        </button>
        {can(who, "register_service") ? (
          <Link className="button primary" to="/servers/new">
            Register server
          </Link>
        ) : null}
      </div>
      <fieldset className="filters">
        <legend className="visually-hidden">Filter servers</legend>
        {FILTERS.map((item) => (
          <button
            key={item.id}
            type="button"
            className="filter"
            aria-pressed={filter === item.id}
            onClick={() =>
              navigate(item.id === "all" ? "/servers" : `/servers?filter=${item.id}`, { replace: true })
            }
          >
            {item.label} <span className="count">{totals[item.id]}</span>
          </button>
        ))}
      </fieldset>
      <ProblemAlert error={error} />
      {servers === null && !error ? <p role="status">Loading servers…</p> : null}
      {servers !== null && shown.length === 0 ? (
        <p className="empty">
          {all.length === 0 ? "No servers you may see yet." : "No server matches this filter."}
        </p>
      ) : null}
      <div className="server-grid">
        {shown.map((server) => (
          <ServerCard
            key={server.id}
            server={server}
            health={healthOf(server)}
            onChanged={replace}
            onDeleted={drop}
          />
        ))}
      </div>
    </section>
  );
}
