// README's "Connect your client" shows exactly what `mcpgw config` prints:
// each block follows a marker naming the mcpgw arguments that produce it.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CLIENT_IDS } from "../../dashboard/src/connect-snippets.ts";
import { runCli } from "../support/cli.ts";

const README = join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "README.md");
const BLOCK = /<!-- mcpgw-output: (.+?) -->\n```\w*\n([\s\S]*?)```/g;

describe("README: Connect your client", () => {
  it("shows, for every client, exactly what mcpgw config prints", { timeout: 120_000 }, async () => {
    const blocks = [...(await readFile(README, "utf8")).matchAll(BLOCK)].map((match) => ({
      args: (match[1] ?? "").split(" "),
      text: match[2] ?? "",
    }));
    expect(blocks.map((block) => block.args.slice(0, 2).join(" "))).toEqual(
      CLIENT_IDS.map((client) => `config ${client}`),
    );
    for (const block of blocks) {
      const run = await runCli(block.args);
      expect(run.code, run.stderr).toBe(0);
      expect(block.text, block.args.join(" ")).toBe(run.stdout);
    }
  });
});
