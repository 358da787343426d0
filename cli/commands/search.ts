// mcpgw search "<need>": GET /api/v1/search.
import type { SearchResponse } from "../../dashboard/src/api-types.ts";
import { type Command, stringOption, UsageError } from "../command.ts";
import { clip } from "../output.ts";

const search: Command = {
  name: ["search"],
  summary: "Find tools and servers for a need in plain words",
  args: '"<need>"',
  options: {
    type: { type: "string", help: "<tool|server> only tools or only servers" },
    tag: { type: "string", help: "<tag> only servers with this tag" },
    server: { type: "string", help: "<path> only this server's tools" },
    limit: { type: "string", help: "<n> at most this many results (1-50, default 10)" },
  },
  details: 'Example:\n  mcpgw search "convert a word document to pdf" --type tool',
  async run(ctx, positionals, values) {
    if (positionals.length === 0) throw new UsageError('missing "<need>"');
    const answer = await (await ctx.api()).request<SearchResponse>("/search", {
      query: {
        q: positionals.join(" "),
        type: stringOption(values, "type"),
        tag: stringOption(values, "tag"),
        server: stringOption(values, "server"),
        limit: stringOption(values, "limit"),
      },
    });
    ctx.output.result(answer, () => {
      ctx.output.table(
        answer.results,
        [
          ["KIND", (hit) => hit.kind],
          ["NAME", (hit) => hit.name],
          ["SERVER", (hit) => hit.serverPath],
          ["SCORE", (hit) => hit.score.toFixed(3)],
          ["DESCRIPTION", (hit) => clip(hit.description, 70)],
        ],
        "No matches.",
      );
      if (answer.notice) ctx.output.line(answer.notice);
    });
  },
};

export const searchCommands: Command[] = [search];
