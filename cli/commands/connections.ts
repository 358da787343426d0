// mcpgw connections list|connect|disconnect: your accounts at the providers of
// servers with per-user credentials (/api/v1/connections). Connecting happens
// in a browser (the flow is bound to the browser that starts it), so
// `connect` prints the dashboard page that starts it.
import type { Connection } from "../../dashboard/src/api-types.ts";
import { type Command, exactArgs, stringOption, UsageError } from "../command.ts";
import type { Context } from "../context.ts";

interface UserConnection {
  serverId: string;
  serverPath: string | null;
  subject: string;
  issuer: string;
  status: string;
  expiresAt: string | null;
}

const userOption = {
  user: { type: "string", help: "<subject> admins: act on this user's connections" },
} as const;

/** The server of `ref` (its id or path) among the caller's per-user servers. */
async function findServer(ctx: Context, ref: string): Promise<Connection> {
  const { items } = await (await ctx.api()).request<{ items: Connection[] }>("/connections");
  const found = items.find((item) => item.serverId === ref || item.serverPath === ref);
  if (!found)
    throw new UsageError(`no server with per-user credentials is "${ref}" (see mcpgw connections list)`);
  return found;
}

const list: Command = {
  name: ["connections", "list"],
  summary: "Servers that act on your own account, and whether you connected it",
  options: userOption,
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const user = stringOption(values, "user");
    const api = await ctx.api();
    if (user !== undefined) {
      const { items } = await api.request<{ items: UserConnection[] }>(
        `/connections?user=${encodeURIComponent(user)}`,
      );
      ctx.output.result(items, () =>
        ctx.output.table(
          items,
          [
            ["SERVER", (item) => item.serverPath ?? item.serverId],
            ["STATUS", (item) => item.status],
            ["EXPIRES", (item) => item.expiresAt ?? "-"],
            ["ISSUER", (item) => item.issuer],
          ],
          `${user} has no connections.`,
        ),
      );
      return;
    }
    const { items } = await api.request<{ items: Connection[] }>("/connections");
    ctx.output.result(items, () =>
      ctx.output.table(
        items,
        [
          ["SERVER", (item) => item.serverPath],
          ["PROVIDER", (item) => item.provider],
          ["STATUS", (item) => item.status],
          ["EXPIRES", (item) => item.expiresAt ?? "-"],
        ],
        "No server here uses per-user accounts.",
      ),
    );
  },
};

const connect: Command = {
  name: ["connections", "connect"],
  summary: "Connect your account to a server (prints the page to open in your browser)",
  args: "<server>",
  details: "<server> is the server's path or id. Sign in on the page if asked, then press Connect.",
  async run(ctx, positionals) {
    const [ref = ""] = exactArgs(positionals, ["server"]);
    const server = await findServer(ctx, ref);
    const url = `${await ctx.gateway()}/connections?connect=${encodeURIComponent(server.serverId)}`;
    ctx.output.result({ serverId: server.serverId, status: server.status, url }, () => {
      ctx.output.line(url);
      ctx.output.progress(`Open this page in your browser to connect your ${server.provider} account.`);
    });
  },
};

const disconnect: Command = {
  name: ["connections", "disconnect"],
  summary: "Remove your connection to a server (admins: --user removes someone else's)",
  args: "<server>",
  options: userOption,
  details: "<server> is the server's path or id (with --user: its id).",
  async run(ctx, positionals, values) {
    const [ref = ""] = exactArgs(positionals, ["server"]);
    const user = stringOption(values, "user");
    const serverId = user === undefined ? (await findServer(ctx, ref)).serverId : ref;
    const query = user === undefined ? "" : `?user=${encodeURIComponent(user)}`;
    await (await ctx.api()).request(`/connections/${encodeURIComponent(serverId)}${query}`, {
      method: "DELETE",
    });
    ctx.output.result({ disconnected: true, serverId, ...(user !== undefined && { user }) }, () =>
      ctx.output.line(`Disconnected ${ref}${user === undefined ? "" : ` for ${user}`}.`),
    );
  },
};

export const connectionCommands: Command[] = [list, connect, disconnect];
