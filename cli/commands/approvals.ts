// mcpgw approvals list|approve|reject: tool pinning (GET /api/v1/approvals,
// POST /api/v1/approvals/{id}/approve|reject).
import { type Command, exactArgs, stringOption } from "../command.ts";

interface Approval {
  id: string;
  serverId: string;
  serverPath?: string;
  key: string;
  status: string;
  reason: string;
  updatedAt: string;
}

const list: Command = {
  name: ["approvals", "list"],
  summary: "List tool approvals of servers you may modify (default: pending)",
  options: {
    status: { type: "string", help: "<pending|approved|rejected> (default pending)" },
    server: { type: "string", help: "<id> only this server" },
  },
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const { items } = await (await ctx.api()).request<{ items: Approval[] }>("/approvals", {
      query: { status: stringOption(values, "status"), server: stringOption(values, "server") },
    });
    ctx.output.result(items, () =>
      ctx.output.table(
        items,
        [
          ["ID", (approval) => approval.id],
          ["SERVER", (approval) => approval.serverPath ?? approval.serverId],
          ["TOOL", (approval) => approval.key],
          ["STATUS", (approval) => approval.status],
          ["WHY", (approval) => approval.reason],
          ["UPDATED", (approval) => approval.updatedAt],
        ],
        "No approvals.",
      ),
    );
  },
};

const decide = (verdict: "approve" | "reject"): Command => ({
  name: ["approvals", verdict],
  summary:
    verdict === "approve"
      ? "Approve a pending tool definition (served again on every MCP endpoint)"
      : "Reject a pending tool definition (the tool stays held)",
  args: "<id>",
  async run(ctx, positionals) {
    const [id = ""] = exactArgs(positionals, ["id"]);
    const decided = await (await ctx.api()).request<Approval>(
      `/approvals/${encodeURIComponent(id)}/${verdict}`,
      {
        method: "POST",
      },
    );
    ctx.output.result(decided, () => ctx.output.line(`${decided.key}: ${decided.status}.`));
  },
});

export const approvalCommands: Command[] = [list, decide("approve"), decide("reject")];
