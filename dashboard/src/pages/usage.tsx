// Usage of the tenant's MCP servers (GET /api/v1/usage, view_metrics): calls
// and errors over time, latency percentiles, calls per server, top tools and
// callers, rate-limit refusals. `UsagePanel` is the same data for one server,
// shown on its tools page.
import { useEffect, useState } from "react";
import type { UsageReport, UsageWindow } from "../api.ts";
import { BarChart, LineChart, Sparkline } from "../components/charts.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { useSession } from "../session.tsx";

const WINDOWS: { value: UsageWindow; label: string }[] = [
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
];

function ms(value: number | null): string {
  return value === null ? "–" : `${value} ms`;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function useUsage(window: UsageWindow, server?: string) {
  const { api } = useSession();
  const [report, setReport] = useState<UsageReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setReport(null);
    api.usage(window, server).then(setReport, setError);
  }, [api, window, server]);
  return { report, error };
}

function Totals({ report }: { report: UsageReport }) {
  const { totals } = report;
  return (
    <dl className="usage-totals">
      <div>
        <dt>Calls</dt>
        <dd data-testid="usage-calls">{totals.calls}</dd>
      </div>
      <div>
        <dt>Error rate</dt>
        <dd data-testid="usage-error-rate">{percent(totals.errorRate)}</dd>
      </div>
      <div>
        <dt>p50 latency</dt>
        <dd>{ms(totals.p50Ms)}</dd>
      </div>
      <div>
        <dt>p95 latency</dt>
        <dd>{ms(totals.p95Ms)}</dd>
      </div>
      <div>
        <dt>Rate-limited</dt>
        <dd data-testid="usage-rate-limited">{totals.rateLimited}</dd>
      </div>
    </dl>
  );
}

function ToolsTable({ report, showServer }: { report: UsageReport; showServer: boolean }) {
  if (report.tools.length === 0) return <p className="muted">No tool calls in this window.</p>;
  return (
    <table className="usage-table" aria-label="Top tools">
      <thead>
        <tr>
          {showServer ? <th scope="col">Server</th> : null}
          <th scope="col">Tool</th>
          <th scope="col">Calls</th>
          <th scope="col">Errors</th>
          <th scope="col">p95</th>
          <th scope="col">Over time</th>
        </tr>
      </thead>
      <tbody>
        {report.tools.map((tool) => (
          <tr key={`${tool.server}/${tool.tool}`}>
            {showServer ? <td>{tool.server}</td> : null}
            <td>
              <code>{tool.tool}</code>
            </td>
            <td>{tool.calls}</td>
            <td>{percent(tool.errorRate)}</td>
            <td>{ms(tool.p95Ms)}</td>
            <td>
              <Sparkline label={`Calls of ${tool.tool} over time`} values={tool.series} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Charts({ report }: { report: UsageReport }) {
  return (
    <div className="usage-charts">
      <figure className="card">
        <figcaption>Calls over time (errors in red)</figcaption>
        <BarChart
          label="Calls over time"
          values={report.series.map((point) => point.calls)}
          overlay={report.series.map((point) => point.errors)}
        />
      </figure>
      <figure className="card">
        <figcaption>Latency p50 and p95</figcaption>
        <LineChart
          label="Latency p50 and p95 over time"
          series={[
            { label: "p50", values: report.series.map((point) => point.p50Ms), className: "line-p50" },
            { label: "p95", values: report.series.map((point) => point.p95Ms), className: "line-p95" },
          ]}
        />
      </figure>
    </div>
  );
}

export function UsagePage() {
  const [window, setWindow] = useState<UsageWindow>("1h");
  const { report, error } = useUsage(window);
  return (
    <section className="stack" aria-labelledby="usage-title">
      <div className="page-head">
        <h1 id="usage-title">Usage</h1>
        <div className="field inline">
          <label htmlFor="usage-window">Window</label>
          <select
            id="usage-window"
            value={window}
            onChange={(event) => setWindow(event.target.value as UsageWindow)}
          >
            {WINDOWS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error ? <ProblemAlert error={error} /> : null}
      {!report && !error ? <p role="status">Loading usage…</p> : null}
      {report ? (
        <>
          <Totals report={report} />
          <Charts report={report} />
          <h2>Calls per server</h2>
          {report.servers.length === 0 ? <p className="muted">No MCP traffic in this window.</p> : null}
          <table className="usage-table" aria-label="Calls per server">
            <tbody>
              {report.servers.map((server) => (
                <tr key={server.server}>
                  <th scope="row">{server.server || "(gateway)"}</th>
                  <td>{server.calls}</td>
                  <td>{percent(server.errorRate)}</td>
                  <td>
                    <Sparkline label={`Calls of ${server.server} over time`} values={server.series} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Top tools</h2>
          <ToolsTable report={report} showServer />
          <h2>Top callers</h2>
          <table className="usage-table" aria-label="Top callers">
            <tbody>
              {report.callers.map((caller) => (
                <tr key={caller.caller}>
                  <th scope="row">{caller.caller || "(anonymous)"}</th>
                  <td>{caller.calls}</td>
                  <td>{percent(caller.errorRate)}</td>
                  <td>{caller.rateLimited} rate-limited</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

/** One server's recent usage (the last hour), for its detail page. */
export function UsagePanel({ server }: { server: string }) {
  const { report, error } = useUsage("1h", server);
  if (error) return <ProblemAlert error={error} />;
  if (!report) return <p role="status">Loading usage…</p>;
  return (
    <section className="stack" aria-labelledby="server-usage-title">
      <h2 id="server-usage-title">Recent usage (last hour)</h2>
      <Totals report={report} />
      <Charts report={report} />
      <ToolsTable report={report} showServer={false} />
    </section>
  );
}
