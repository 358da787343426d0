// mcpgw tokens mint|list|revoke: personal access tokens (/api/v1/tokens).
import type { MintedToken, TokenRecord } from "../../dashboard/src/api-types.ts";
import { type Command, exactArgs, listOption, requireOption, stringOption, UsageError } from "../command.ts";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "3600", "90m", "12h", "30d" -> seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match)
    throw new UsageError(`--expires-in must be seconds or a number with s, m, h or d, not "${text}"`);
  return Number(match[1]) * (UNITS[match[2] || "s"] ?? 1);
}

const mint: Command = {
  name: ["tokens", "mint"],
  summary: "Mint a personal access token (shown once) from scopes you hold",
  options: {
    name: { type: "string", help: "<name> what it is for, e.g. ci" },
    scopes: { type: "string", help: "<a,b> its scopes (a subset of yours)" },
    "expires-in": { type: "string", help: "<duration> lifetime: seconds, or 90m, 12h, 30d (default 30d)" },
  },
  details:
    "Example:\n  mcpgw tokens mint --name ci --scopes mcp-servers-unrestricted/execute --expires-in 7d",
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const scopes = listOption(values, "scopes");
    if (!scopes || scopes.length === 0) throw new UsageError("--scopes is required");
    const expires = stringOption(values, "expires-in");
    const body = {
      name: requireOption(values, "name"),
      scopes,
      ...(expires !== undefined && { expiresIn: parseDuration(expires) }),
    };
    const minted = await (await ctx.api()).request<MintedToken>("/tokens", { method: "POST", json: body });
    ctx.output.result(minted, () => {
      ctx.output.line(minted.token);
      ctx.output.progress(
        `Token ${minted.id} (${minted.name}) expires ${minted.expiresAt}; it is shown only once.`,
      );
    });
  },
};

const list: Command = {
  name: ["tokens", "list"],
  summary: "List your tokens (never their values)",
  async run(ctx, positionals) {
    exactArgs(positionals, []);
    const { items } = await (await ctx.api()).request<{ items: TokenRecord[] }>("/tokens");
    ctx.output.result(items, () =>
      ctx.output.table(
        items,
        [
          ["ID", (token) => token.id],
          ["NAME", (token) => token.name],
          ["ACTIVE", (token) => (token.active ? "yes" : "no")],
          ["EXPIRES", (token) => token.expiresAt],
          ["SCOPES", (token) => token.scopes],
        ],
        "No tokens.",
      ),
    );
  },
};

const revoke: Command = {
  name: ["tokens", "revoke"],
  summary: "Revoke one of your tokens",
  args: "<id>",
  async run(ctx, positionals) {
    const [id = ""] = exactArgs(positionals, ["id"]);
    await (await ctx.api()).request(`/tokens/${encodeURIComponent(id)}`, { method: "DELETE" });
    ctx.output.result({ revoked: true, id }, () => ctx.output.line(`Revoked ${id}.`));
  },
};

export const tokenCommands: Command[] = [mint, list, revoke];
