// Connect: client configuration for one server (/{path}/mcp) or for the
// aggregated endpoint (/mcp, every tool the token may call), for Claude
// Desktop, Claude Code, VS Code and Cursor.
import { useEffect, useState } from "react";
import type { Server } from "../api.ts";
import { CodeBlock } from "../components/code-block.tsx";
import { snippets } from "../connect-snippets.ts";
import { can } from "../permissions.ts";
import { Link, navigate, useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";

const AGGREGATED = "";
const TOKEN_PLACEHOLDER = "<your-token>";

export function ConnectPage() {
  const { api, who } = useSession();
  const { query } = useLocation();
  const chosen = query.get("server") ?? AGGREGATED;
  const [servers, setServers] = useState<Server[]>([]);
  const [token, setToken] = useState("");

  useEffect(() => {
    if (!can(who, "list_service")) return;
    api.listServers().then(setServers, () => setServers([]));
  }, [api, who]);

  const server = servers.find((item) => item.path === chosen);
  const origin = api.gatewayOrigin;
  const target =
    chosen === AGGREGATED
      ? { name: "mcp-gateway", url: `${origin}/mcp` }
      : { name: chosen, url: `${origin}/${chosen}/mcp` };
  const list = snippets({ ...target, token: token.trim() || TOKEN_PLACEHOLDER });

  return (
    <section className="stack" aria-labelledby="connect-title">
      <h1 id="connect-title">Connect a client</h1>
      <div className="card stack">
        <div className="field">
          <label htmlFor="connect-server">Endpoint</label>
          <select
            id="connect-server"
            value={chosen}
            onChange={(event) =>
              navigate(
                event.target.value ? `/connect?server=${encodeURIComponent(event.target.value)}` : "/connect",
                {
                  replace: true,
                },
              )
            }
          >
            <option value={AGGREGATED}>All servers (aggregated /mcp)</option>
            {servers.map((item) => (
              <option key={item.id} value={item.path}>
                {item.name} (/{item.path}/mcp)
              </option>
            ))}
            {chosen !== AGGREGATED && !server ? <option value={chosen}>/{chosen}/mcp</option> : null}
          </select>
        </div>
        <p className="muted">
          {chosen === AGGREGATED
            ? "One endpoint with every tool the token may call, named {server}__{tool}, plus search and broadcast tools."
            : `The server's own tools, through the gateway: ${target.url}`}
        </p>
        <div className="field">
          <label htmlFor="connect-token">Token to put in the configuration</label>
          <input
            id="connect-token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder={TOKEN_PLACEHOLDER}
            value={token}
            onChange={(event) => setToken(event.target.value)}
          />
          <span className="field-hint">
            Stays in this page. <Link to="/tokens">Mint a token</Link> for each client, so you can revoke one
            without the others.
          </span>
        </div>
      </div>
      <div className="snippets">
        {list.map((snippet) => (
          <section
            key={snippet.client}
            className="card stack snippet"
            aria-labelledby={`snippet-${snippet.client.replaceAll(" ", "-")}`}
          >
            <h2 id={`snippet-${snippet.client.replaceAll(" ", "-")}`}>{snippet.client}</h2>
            <p className="muted">{snippet.where}</p>
            <CodeBlock label={`${snippet.client} configuration`} text={snippet.text} />
            <p className="muted small">
              From a terminal (same output, your own token; <code>--write</code> puts it in the file):{" "}
              <code>
                npx mcpgw config {snippet.id}
                {chosen === AGGREGATED ? "" : ` --server ${chosen}`}
              </code>
            </p>
            {snippet.note ? <p className="muted small">{snippet.note}</p> : null}
          </section>
        ))}
      </div>
    </section>
  );
}
