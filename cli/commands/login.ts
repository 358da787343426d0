// login, logout, whoami. Sign-in methods are a list: each one says whether the
// options ask for it and turns them into a token. The browser sign-in (`--oauth`,
// cli/oauth-login.ts) gets a token for one MCP endpoint, which the gateway
// refuses on /api/v1: it is checked by connecting to that endpoint instead of
// by /auth/whoami.
import type { AuthMethods, WhoAmI } from "../../dashboard/src/api-types.ts";
import { type Command, stringOption, UsageError, type Values } from "../command.ts";
import type { Context } from "../context.ts";
import type { StoredLogin } from "../credentials.ts";
import { GatewayClient } from "../gateway-client.ts";
import { endpointUrl, withMcpClient } from "../mcp-connection.ts";
import { browserLogin } from "../oauth-login.ts";

interface LoginMethod {
  name: string;
  /** True when the options ask for this method. */
  wanted(values: Values): boolean;
  login(ctx: Context, values: Values): Promise<Omit<StoredLogin, "savedAt">>;
}

const pastedToken: LoginMethod = {
  name: "token",
  wanted: (values) => values.token !== undefined || values["token-stdin"] === true,
  async login(ctx, values) {
    const token = (
      values["token-stdin"] === true ? await ctx.readInput("-") : (stringOption(values, "token") ?? "")
    ).trim();
    if (!token) throw new UsageError("the token is empty");
    return { token, method: "token" };
  },
};

const devLogin: LoginMethod = {
  name: "dev-login",
  wanted: (values) => values.dev === true,
  async login(ctx, values) {
    const username = stringOption(values, "username") ?? "admin";
    const password = (
      values["password-stdin"] === true ? await ctx.readInput("-") : (ctx.env.MCPGW_PASSWORD ?? "")
    ).trim();
    if (!password) {
      throw new UsageError("the development login needs the password: --password-stdin or MCPGW_PASSWORD");
    }
    const api = await ctx.anonymousApi();
    const body = await api.request<{ access_token: string }>("/auth/dev-login", {
      method: "POST",
      json: { username, password },
    });
    return { token: body.access_token, method: "dev-login" };
  },
};

const browserOAuth: LoginMethod = {
  name: "oauth",
  wanted: (values) => values.oauth === true,
  async login(ctx, values) {
    const gateway = await ctx.gateway();
    const seconds = Number(stringOption(values, "timeout") ?? "300");
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new UsageError("--timeout must be a number of seconds");
    return browserLogin({
      gateway,
      resource: endpointUrl(gateway, stringOption(values, "server")),
      openBrowser: values["no-browser"] !== true,
      timeoutMs: seconds * 1000,
      // On stderr, so that --json output stays one JSON document.
      announce: (url) => ctx.output.progress(`Open this URL in your browser to sign in:\n${url}`),
    });
  },
};

/** In order of preference; the first one the options ask for is used. */
const LOGIN_METHODS: LoginMethod[] = [pastedToken, devLogin, browserOAuth];

const login: Command = {
  name: ["login"],
  summary: "Sign in to a gateway and remember the token (in your config directory, mode 0600)",
  options: {
    token: { type: "string", help: "<token> a bearer token you already have (e.g. minted in the dashboard)" },
    "token-stdin": { type: "boolean", help: "read the token from stdin" },
    dev: { type: "boolean", help: "the development login (gateways with DEV_MODE on)" },
    username: { type: "string", help: "<name> development login user (default admin)" },
    "password-stdin": {
      type: "boolean",
      help: "read the development password from stdin (or MCPGW_PASSWORD)",
    },
    oauth: {
      type: "boolean",
      help: "sign in in the browser (the gateway's OAuth); the token serves MCP commands only",
    },
    server: { type: "string", help: "<path> with --oauth: a token for /<path>/mcp (default: /mcp)" },
    "no-browser": { type: "boolean", help: "with --oauth: only print the sign-in URL" },
    timeout: { type: "string", help: "<seconds> with --oauth: how long to wait for the sign-in (300)" },
  },
  details:
    'Examples:\n  mcpgw login --gateway http://127.0.0.1:8787 --dev --password-stdin < password.txt\n  mcpgw login --gateway https://gw.example.com --token "$TOKEN"\n  mcpgw login --gateway https://gw.example.com --oauth --server demo\n\n' +
    "A browser (--oauth) login is bound to one MCP endpoint (/mcp, or /<path>/mcp with --server)\n" +
    "and serves invoke and broadcast there; the gateway refuses it on the REST API\n" +
    "(servers, tokens, search...). It is renewed with its refresh token when it expires.",
  async run(ctx, positionals, values) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const method = LOGIN_METHODS.find((candidate) => candidate.wanted(values));
    if (!method) {
      const methods = await (await ctx.anonymousApi()).request<AuthMethods>("/auth/methods");
      const offered = [
        "--token <token> or --token-stdin",
        ...(methods.devLogin ? ["--dev (development login)"] : []),
        "--oauth (in the browser, MCP commands only)",
      ];
      throw new UsageError(`choose how to sign in: ${offered.join("; ")}`);
    }
    const gateway = await ctx.gateway();
    const obtained = await method.login(ctx, values);
    if (obtained.oauth) {
      const { resource } = obtained.oauth;
      // Checked where it is valid: one MCP handshake at its endpoint.
      const server = await withMcpClient(resource, obtained.token, async (client) =>
        client.getServerVersion(),
      );
      await ctx.credentials.save(gateway, { ...obtained, savedAt: new Date().toISOString() });
      ctx.output.result(
        { gateway, method: obtained.method, resource, expiresAt: obtained.expiresAt ?? null },
        () => ctx.output.line(`Logged in to ${resource} (oauth; ${server?.name ?? "MCP"} answered).`),
      );
      return;
    }
    // Check the token before storing it: a typo should fail here, not on the next command.
    const who = await new GatewayClient(gateway, obtained.token).request<WhoAmI>("/auth/whoami");
    await ctx.credentials.save(gateway, { ...obtained, savedAt: new Date().toISOString() });
    ctx.output.result({ gateway, method: obtained.method, subject: who.subject, groups: who.groups }, () =>
      ctx.output.line(`Logged in to ${gateway} as ${who.name ?? who.subject} (${obtained.method}).`),
    );
  },
};

const logout: Command = {
  name: ["logout"],
  summary: "Forget the stored token of the gateway",
  async run(ctx) {
    const gateway = await ctx.gateway();
    const removed = await ctx.credentials.remove(gateway);
    ctx.output.result({ gateway, removed }, () =>
      ctx.output.line(removed ? `Logged out of ${gateway}.` : `No stored login for ${gateway}.`),
    );
  },
};

const whoami: Command = {
  name: ["whoami"],
  summary: "Who the gateway thinks you are: groups, scopes, registry permissions",
  async run(ctx) {
    const who = await (await ctx.api()).request<WhoAmI>("/auth/whoami");
    ctx.output.result(who, () => {
      ctx.output.fields([
        ["subject", who.subject],
        ["issuer", who.issuer],
        ["tenant", who.tenant],
        ["credential", who.credential],
        ["groups", who.groups],
        ["scopes", who.effectiveScopes],
      ]);
      const held = Object.entries(who.permissions).filter(([, grant]) => grant.all || grant.names.length > 0);
      ctx.output.line();
      ctx.output.table(held, [
        ["ACTION", ([action]) => action],
        ["ON", ([, grant]) => (grant.all ? "all" : grant.names)],
      ]);
    });
  },
};

export const loginCommands: Command[] = [login, logout, whoami];
