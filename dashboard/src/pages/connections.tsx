// Connected accounts: servers that act on each user's own account at a
// provider (per-user `oauth` egress). Connect (the provider's sign-in, then
// back here), reconnect when a refresh failed, disconnect. The gateway's
// "connect your account" errors link here with `?connect=<server id>`.
import { useCallback, useEffect, useState } from "react";
import type { Connection } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { RecordTable, RowDangerButton } from "../components/record-table.tsx";
import { dateTime } from "../format.ts";
import { navigate, useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";

const STATUS_LABEL: Record<Connection["status"], string> = {
  connected: "connected",
  reconnect_required: "reconnect needed",
  not_connected: "not connected",
};

export function ConnectionsPage() {
  const { api } = useSession();
  const { query } = useLocation();
  const [connections, setConnections] = useState<Connection[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(() => {
    api.listConnections().then(setConnections, setError);
  }, [api]);
  useEffect(load, [load]);

  const requested = query.get("connect");
  const connected = query.get("connected");
  const failure = query.get("connect_error");
  const nameOf = (id: string | null) => connections?.find((item) => item.serverId === id)?.serverName ?? id;

  async function connect(item: Connection) {
    setBusy(item.serverId);
    setError(null);
    try {
      // Leaves the dashboard for the provider; its redirect brings the browser back here.
      window.location.assign(await api.startConnection(item.serverId));
    } catch (caught) {
      setError(caught);
      setBusy(null);
    }
  }

  async function disconnect(item: Connection) {
    setBusy(item.serverId);
    setError(null);
    try {
      await api.disconnect(item.serverId);
      load();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  const prompt = requested ? connections?.find((item) => item.serverId === requested) : undefined;
  return (
    <section className="stack" aria-labelledby="connections-title">
      <h1 id="connections-title">Connected accounts</h1>
      <p className="muted">
        These servers act on your own account at their provider. Your tokens are stored encrypted and are sent
        only with your own requests.
      </p>
      {connected ? (
        <p className="alert success" role="status">
          Connected your account for {nameOf(connected)}.{" "}
          <button
            type="button"
            className="link-button"
            onClick={() => navigate("/connections", { replace: true })}
          >
            Dismiss
          </button>
        </p>
      ) : null}
      {failure ? (
        <p className="alert error" role="alert">
          Connecting failed: {failure}
        </p>
      ) : null}
      {prompt && prompt.status !== "connected" ? (
        <section className="card stack" aria-labelledby="connect-prompt">
          <h2 id="connect-prompt">Connect your {prompt.provider} account</h2>
          <p>
            <strong>{prompt.serverName}</strong> needs your own account before it can answer your requests.
          </p>
          <div className="form-actions">
            <button
              type="button"
              className="button primary"
              disabled={busy !== null}
              onClick={() => void connect(prompt)}
            >
              Connect {prompt.serverName}
            </button>
          </div>
        </section>
      ) : null}
      <ProblemAlert error={error} />
      {connections === null ? (
        error ? null : (
          <p role="status">Loading…</p>
        )
      ) : connections.length === 0 ? (
        <p className="empty">No server here uses per-user accounts.</p>
      ) : (
        <RecordTable
          className="connections"
          caption="Servers that use your own account"
          columns={["Server", "Provider", "Status", "Token expires"]}
        >
          {connections.map((item) => (
            <tr key={item.serverId}>
              <td>
                {item.serverName} <code>/{item.serverPath}/mcp</code>
              </td>
              <td>{item.provider}</td>
              <td>
                <span className="status" data-active={item.status === "connected"}>
                  {STATUS_LABEL[item.status]}
                </span>
              </td>
              <td>{item.expiresAt ? dateTime(item.expiresAt) : "—"}</td>
              <td className="actions">
                {item.status !== "connected" ? (
                  <button
                    type="button"
                    className="button small primary"
                    aria-label={`Connect ${item.serverName}`}
                    disabled={busy !== null}
                    onClick={() => void connect(item)}
                  >
                    {item.status === "reconnect_required" ? "Reconnect" : "Connect"}
                  </button>
                ) : null}
                {item.status !== "not_connected" ? (
                  <RowDangerButton
                    label="Disconnect"
                    busyLabel="Disconnecting…"
                    name={item.serverName}
                    busy={busy === item.serverId}
                    disabled={busy !== null}
                    onClick={() => void disconnect(item)}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </RecordTable>
      )}
    </section>
  );
}
