// What the aggregated endpoint lists (tools/list, resources/list,
// resources/templates/list, prompts/list): the caller's view of the stored
// catalog under gateway names, plus the registry and broadcast tools. Pure
// functions of the view, so a cache or a relay can reuse them.
import type { ListResourceTemplatesResult, Prompt, Resource, Tool } from "@modelcontextprotocol/server";
import { broadcastGroups, broadcastToolDefinitions } from "./broadcast.ts";
import { qualifyName, wrapUri } from "./gateway-names.ts";
import type { GatewayView } from "./gateway-view.ts";
import { REGISTRY_TOOLS } from "./registry-tools.ts";

type ResourceTemplate = ListResourceTemplatesResult["resourceTemplates"][number];

export function listTools(view: GatewayView): Tool[] {
  const serverTools = view.servers
    .filter((entry) => entry.exposed)
    .flatMap((entry) =>
      entry.tools.map(
        (tool) => ({ ...tool.definition, name: qualifyName(entry.server.path, tool.key) }) as Tool,
      ),
    );
  return [...REGISTRY_TOOLS, ...broadcastToolDefinitions(broadcastGroups(view)), ...serverTools];
}

export function listResources(view: GatewayView): Resource[] {
  return view.servers
    .filter((entry) => entry.exposed)
    .flatMap((entry) =>
      entry.resources.map((resource) => ({
        ...resource.definition,
        uri: wrapUri(entry.server.path, resource.key),
        name: qualifyName(entry.server.path, String(resource.definition.name ?? resource.key)),
      })),
    );
}

export function listResourceTemplates(view: GatewayView): ResourceTemplate[] {
  return view.servers
    .filter((entry) => entry.exposed)
    .flatMap((entry) =>
      entry.resourceTemplates.map((template) => ({
        ...template.definition,
        uriTemplate: wrapUri(entry.server.path, template.key),
        name: qualifyName(entry.server.path, String(template.definition.name ?? template.key)),
      })),
    );
}

export function listPrompts(view: GatewayView): Prompt[] {
  return view.servers
    .filter((entry) => entry.exposed)
    .flatMap((entry) =>
      entry.prompts.map((prompt) => ({
        ...prompt.definition,
        name: qualifyName(entry.server.path, prompt.key),
      })),
    );
}
