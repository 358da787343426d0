// mcpgw scopes export|import: the access-control document as YAML (or JSON),
// GET /api/v1/scopes/export and PUT /api/v1/scopes.
import { writeFile } from "node:fs/promises";
import { type Command, exactArgs, stringOption } from "../command.ts";

const exportScopes: Command = {
  name: ["scopes", "export"],
  summary: "Print (or save) the scopes configuration as YAML",
  options: { output: { type: "string", short: "o", help: "<file> write it to this file instead of stdout" } },
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const api = await ctx.api();
    const file = stringOption(values, "output");
    if (ctx.output.json) {
      const view = await api.request<unknown>("/scopes");
      if (file !== undefined) await writeFile(file, `${JSON.stringify(view, null, 2)}\n`);
      ctx.output.result(file !== undefined ? { written: file } : view, () => {});
      return;
    }
    const yaml = await api.text("/scopes/export", { headers: { accept: "application/yaml" } });
    if (file !== undefined) {
      await writeFile(file, yaml);
      ctx.output.line(`Wrote ${file}.`);
    } else {
      ctx.output.line(yaml.trimEnd());
    }
  },
};

const importScopes: Command = {
  name: ["scopes", "import"],
  summary: "Replace the scopes configuration with a YAML or JSON file",
  args: "<file>",
  options: {
    "if-match": { type: "string", help: "<revision> only if the stored revision is still this one" },
  },
  details: "A .json file is sent as JSON, anything else as YAML. Errors name the field and line.",
  async run(ctx, positionals, values) {
    const [file = ""] = exactArgs(positionals, ["file"]);
    const text = await ctx.readInput(file);
    const headers: Record<string, string> = {
      "content-type": file.endsWith(".json") ? "application/json" : "application/yaml",
    };
    const revision = stringOption(values, "if-match");
    if (revision !== undefined) headers["if-match"] = `"${revision.replaceAll('"', "")}"`;
    const view = await (await ctx.api()).request<{ revision: number; updatedAt: string }>("/scopes", {
      method: "PUT",
      body: text,
      headers,
    });
    ctx.output.result(view, () => ctx.output.line(`Stored as revision ${view.revision}.`));
  },
};

export const scopeCommands: Command[] = [exportScopes, importScopes];
