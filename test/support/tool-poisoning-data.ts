// Loads the labelled tool-poisoning corpus and the benign real tool
// descriptions from ../shared/data (outside the repository; test material
// only, never copied into the source). Node only: the caller passes a file
// reader so this module stays free of Node imports.

export interface LabelledTool {
  id: string;
  category: string;
  tool: Record<string, unknown>;
}

export interface PoisoningCorpus {
  poisoned: LabelledTool[];
  benignHard: LabelledTool[];
  /** The 726 real descriptions: LiveMCPBench tools (527) and MetaTool plugins (199). */
  benignReal: LabelledTool[];
}

export const DATA_ROOT = new URL("../../../shared/data/", import.meta.url).pathname;

export function loadPoisoningCorpus(read: (path: string) => string, root = DATA_ROOT): PoisoningCorpus {
  const labelled = (file: string) =>
    (JSON.parse(read(`${root}tool-poisoning/${file}`)) as LabelledTool[]).map(({ id, category, tool }) => ({
      id,
      category,
      tool,
    }));
  const benignReal: LabelledTool[] = [];
  const servers = JSON.parse(read(`${root}tool-retrieval/livemcpbench/tools.json`)) as {
    name: string;
    tools: Record<string, { tools: Record<string, unknown>[] }>;
  }[];
  for (const server of servers) {
    for (const group of Object.values(server.tools)) {
      for (const tool of group.tools) {
        benignReal.push({ id: `livemcpbench:${server.name}/${String(tool.name)}`, category: "benign", tool });
      }
    }
  }
  const plugins = JSON.parse(read(`${root}tool-retrieval/metatool/plugin_des.json`)) as Record<
    string,
    string
  >;
  for (const [name, description] of Object.entries(plugins)) {
    benignReal.push({
      id: `metatool:${name}`,
      category: "benign",
      tool: { name, description, inputSchema: { type: "object", properties: {} } },
    });
  }
  return { poisoned: labelled("dev.json"), benignHard: labelled("benign-hard.json"), benignReal };
}
