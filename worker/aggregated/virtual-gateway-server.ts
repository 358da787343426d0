// A virtual server as an MCP server (`/v/{name}/mcp`): the aggregated
// endpoint's machinery (exchange, policy, upstream calls, progress relay,
// both generations and sessions) with a view restricted to the virtual
// server's items under their exposed names. Resources keep their own URIs
// and results pass unchanged, so a virtual server over one server looks
// exactly like that server. In `discovery` mode only `discover_tools` and
// `invoke_tool` are listed, both scoped to the virtual server's tools.
import {
  type CallToolResult,
  type CompleteResult,
  type GetPromptResult,
  type Prompt,
  ProtocolError,
  type ReadResourceResult,
  Server,
  type ServerContext,
  type Tool,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { noteArguments } from "../edge/audit-trail.ts";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { approvedCatalog, pinnedCall, refusalData } from "../security/pinned-edge.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import type { VirtualServerRecord } from "../store/virtual-server-store.ts";
import type { UpstreamRequest } from "../upstream/upstream-call.ts";
import { exposedPromptName, exposedToolName } from "../virtual/virtual-server-service.ts";
import type { AuditNote, GatewayExchange } from "./gateway-exchange.ts";
import { REGISTRY_TOOL_NAMES } from "./gateway-names.ts";
import { registerRelayHandlers, relayCapabilities } from "./gateway-relay.ts";
import {
  forwardUpstream,
  GATEWAY_SERVER_INFO,
  parseInput,
  refused,
  rejectCursor,
  relayed,
  unknownPrompt,
  unknownTool,
} from "./gateway-server.ts";
import { findExposedServer } from "./gateway-view.ts";
import { DEFAULT_DISCOVER_LIMIT, DiscoverToolsInput, REGISTRY_TOOLS, structured } from "./registry-tools.ts";
import {
  type ExposedTarget,
  exposedTarget,
  loadVirtualView,
  resourceFor,
  type VirtualView,
} from "./virtual-view.ts";

/** Spec code for an unknown resource. */
const RESOURCE_NOT_FOUND = -32002;

export const DISCOVERY_TOOLS = { discover: "discover_tools", invoke: "invoke_tool" } as const;

function registryTool(name: string): Tool {
  const tool = REGISTRY_TOOLS.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no registry tool ${name}`);
  return tool;
}

const DISCOVERY_TOOL_DEFINITIONS: Tool[] = [
  {
    name: DISCOVERY_TOOLS.discover,
    title: "Discover tools",
    description:
      "Searches this server's tools by what you want to do and returns the best matches with their input " +
      "schemas. Call one with invoke_tool.",
    // The aggregated endpoint's discover_tools takes the same input.
    inputSchema: registryTool(REGISTRY_TOOL_NAMES.discoverTools).inputSchema,
    annotations: registryTool(REGISTRY_TOOL_NAMES.discoverTools).annotations,
  },
  {
    name: DISCOVERY_TOOLS.invoke,
    title: "Invoke a tool",
    description: "Calls one of this server's tools by the name discover_tools reported, with its arguments.",
    inputSchema: {
      type: "object",
      properties: {
        tool: { type: "string", description: "The tool's name as discover_tools reported it." },
        arguments: { type: "object", description: "The tool's arguments." },
      },
      required: ["tool"],
      additionalProperties: false,
    },
    annotations: { openWorldHint: true },
  },
];

const InvokeInput = z.strictObject({
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

/** A fresh server for one exchange with the virtual server `record`. */
export function createVirtualGatewayServer(exchange: GatewayExchange, record: VirtualServerRecord): Server {
  const capabilities = {
    // List changes, subscriptions and log levels are relayed as on /mcp (gateway-relay.ts).
    ...relayCapabilities(exchange, {
      resources: record.resources.length > 0,
      prompts: record.prompts.length > 0,
    }),
    // Argument completion of its prompts and resource templates, answered by their servers.
    ...((record.prompts.length > 0 || record.resources.length > 0) && { completions: {} }),
  };
  const server = new Server(
    { ...GATEWAY_SERVER_INFO, name: record.name, title: record.name },
    { capabilities, ...(record.description && { instructions: record.description }) },
  );
  const handlers = new VirtualHandlers(exchange, record);

  server.setRequestHandler("tools/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { tools: await handlers.tools() };
  });
  server.setRequestHandler("tools/call", (request, ctx) =>
    handlers.callTool(request.params.name, request.params.arguments ?? {}, ctx),
  );
  if (capabilities.resources) {
    server.setRequestHandler("resources/list", async (request) => {
      rejectCursor(request.params?.cursor);
      const resources = (await handlers.view()).resources.map((item) => ({
        ...item.entry.definition,
        uri: item.name,
        name: String(item.entry.definition.name ?? item.name),
      }));
      return { resources };
    });
    server.setRequestHandler("resources/templates/list", async (request) => {
      rejectCursor(request.params?.cursor);
      const templates = (await handlers.view()).resourceTemplates;
      const resourceTemplates = templates.map((item) => ({
        ...item.entry.definition,
        uriTemplate: item.name,
        name: String(item.entry.definition.name ?? item.name),
      }));
      return { resourceTemplates };
    });
    server.setRequestHandler("resources/read", (request, ctx) =>
      handlers.readResource(request.params.uri, ctx),
    );
  }
  if (capabilities.prompts) {
    server.setRequestHandler("prompts/list", async (request) => {
      rejectCursor(request.params?.cursor);
      const view = await handlers.view();
      return {
        prompts: view.prompts.map((item) => ({ ...item.entry.definition, name: item.name }) as Prompt),
      };
    });
    server.setRequestHandler("prompts/get", (request, ctx) =>
      handlers.getPrompt(request.params.name, request.params.arguments ?? {}, ctx),
    );
  }
  if (capabilities.completions) {
    server.setRequestHandler("completion/complete", (request, ctx) =>
      handlers.complete(request.params as unknown as CompletionParams, ctx),
    );
  }
  registerRelayHandlers(server, exchange);
  return server;
}

/** `completion/complete` params as far as routing needs them (the rest is forwarded unchanged). */
interface CompletionParams extends Record<string, unknown> {
  ref: { type: string; name?: string; uri?: string };
}

class VirtualHandlers {
  private loaded: Promise<VirtualView> | null = null;

  constructor(
    private readonly exchange: GatewayExchange,
    private readonly record: VirtualServerRecord,
  ) {}

  private access() {
    return this.exchange.access();
  }

  view(): Promise<VirtualView> {
    const { services, principal } = this.exchange;
    const sources = {
      store: services.store,
      directory: services.directory,
      approved: (server: ServerRecord, entries: Parameters<typeof approvedCatalog>[2]) =>
        approvedCatalog(services.approvals, server, entries),
    };
    this.loaded ??= this.access().then((access) => loadVirtualView(sources, principal, access, this.record));
    return this.loaded;
  }

  async tools(): Promise<Tool[]> {
    if (this.record.mode === "discovery") return DISCOVERY_TOOL_DEFINITIONS;
    return (await this.view()).tools.map(
      (item) =>
        ({
          ...item.entry.definition,
          name: item.name,
          ...(item.ref.description !== undefined && { description: item.ref.description }),
        }) as Tool,
    );
  }

  async callTool(name: string, args: Record<string, unknown>, ctx: ServerContext): Promise<CallToolResult> {
    const note = this.exchange.note(ctx.mcpReq.id);
    note.tool = name;
    note.detail = { virtualServer: this.record.name };
    if (this.record.mode === "discovery") {
      if (name === DISCOVERY_TOOLS.discover) return this.discover(parseInput(DiscoverToolsInput, args, name));
      if (name !== DISCOVERY_TOOLS.invoke) throw unknownTool(name);
      const input = parseInput(InvokeInput, args, name);
      note.detail = { ...note.detail, via: name };
      return this.callExposedTool(input.tool, input.arguments ?? {}, ctx, note);
    }
    return this.callExposedTool(name, args, ctx, note);
  }

  /**
   * Policy first (on the underlying server and tool), then the caller's view,
   * then the upstream. A name no explicit item maps goes to a server taken
   * whole (virtual-view.ts `wildcardTarget`), with the same decision, pinning
   * and forwarding as `/{path}/mcp` of that server gives the caller.
   */
  private async callExposedTool(
    name: string,
    args: Record<string, unknown>,
    ctx: ServerContext,
    note: AuditNote,
  ): Promise<CallToolResult> {
    const target = await this.toolTarget(name);
    if (!target) throw unknownTool(name);
    note.serverPath = target.path;
    note.tool = target.item;
    const decision = (await this.access()).decide(target.path, "tools/call", target.item);
    this.exchange.decided(ctx.mcpReq.id, decision);
    if (!decision.allow) throw refused(decision.reason);
    const server = await target.server();
    if (!server) throw unknownTool(name);
    noteArguments(note, server.auditArguments, args);
    // Tool pinning (issue 14): held tools and undeclared arguments never reach the upstream.
    const pinned = await pinnedCall(this.exchange.services.approvals, server, target.item, args);
    if (!pinned.allow) throw new ProtocolError(ErrorCode.Forbidden, pinned.message, refusalData(pinned));
    const request: UpstreamRequest = {
      method: "tools/call",
      params: { name: target.item, arguments: pinned.arguments },
    };
    return (await this.forward(server, request, note, ctx)) as CallToolResult;
  }

  private toolTarget(name: string): Promise<ExposedTarget | null> {
    const refs = this.record.tools;
    return exposedTarget(refs, (ref) => ref.tool, exposedToolName, this.targets(), "tools", name);
  }

  private promptTarget(name: string): Promise<ExposedTarget | null> {
    const refs = this.record.prompts;
    return exposedTarget(refs, (ref) => ref.prompt, exposedPromptName, this.targets(), "prompts", name);
  }

  /** What exposedTarget resolves servers from: the caller's view, or one server the caller may see. */
  private targets() {
    const { services, principal } = this.exchange;
    return {
      view: () => this.view(),
      exposed: async (path: string) =>
        findExposedServer(services.directory, principal, path, await this.access()),
    };
  }

  async readResource(uri: string, ctx: ServerContext): Promise<ReadResourceResult> {
    const note = this.exchange.note(ctx.mcpReq.id);
    note.detail = { virtualServer: this.record.name };
    const item = resourceFor(await this.view(), uri);
    if (!item) throw new ProtocolError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
    note.serverPath = item.server.path;
    // The view holds only readable resources; the decision is recorded for the audit.
    this.exchange.decided(ctx.mcpReq.id, (await this.access()).decide(item.server.path, "resources/read"));
    const request: UpstreamRequest = { method: "resources/read", params: { uri } };
    return (await this.forward(item.server, request, note, ctx)) as ReadResourceResult;
  }

  async getPrompt(name: string, args: Record<string, unknown>, ctx: ServerContext): Promise<GetPromptResult> {
    const note = this.exchange.note(ctx.mcpReq.id);
    const target = await this.promptTarget(name);
    if (!target) throw unknownPrompt(name);
    note.serverPath = target.path;
    note.detail = { virtualServer: this.record.name, prompt: target.item };
    const decision = (await this.access()).decide(target.path, "prompts/get");
    this.exchange.decided(ctx.mcpReq.id, decision);
    if (!decision.allow) throw refused(decision.reason);
    const server = await target.server();
    if (!server) throw unknownPrompt(name);
    const request: UpstreamRequest = {
      method: "prompts/get",
      params: { name: target.item, arguments: args },
    };
    return (await this.forward(server, request, note, ctx)) as GetPromptResult;
  }

  /**
   * Completion for an exposed prompt (by its exposed name) or resource template
   * (by its URI template): the same grant as using it, then its own server answers.
   */
  async complete(params: CompletionParams, ctx: ServerContext): Promise<CompleteResult> {
    const note = this.exchange.note(ctx.mcpReq.id);
    note.detail = { virtualServer: this.record.name };
    const view = await this.view();
    const { ref } = params;
    let target: { server: ServerRecord; ref: CompletionParams["ref"] } | null = null;
    if (ref.type === "ref/prompt") {
      const item = view.prompts.find((candidate) => candidate.name === ref.name);
      if (item) target = { server: item.server, ref: { ...ref, name: item.ref.prompt } };
    } else if (ref.type === "ref/resource") {
      const item = [...view.resourceTemplates, ...view.resources].find(
        (candidate) => candidate.name === ref.uri,
      );
      if (item) target = { server: item.server, ref };
    }
    if (!target) {
      throw new ProtocolError(
        ErrorCode.InvalidParams,
        `Unknown completion reference: ${ref.name ?? ref.uri ?? ref.type}`,
      );
    }
    note.serverPath = target.server.path;
    const request: UpstreamRequest = {
      method: "completion/complete",
      params: { ...params, ref: target.ref },
    };
    return (await this.forward(target.server, request, note, ctx)) as CompleteResult;
  }

  /** Search cut to the virtual server's tools that the caller may call; hits carry exposed names. */
  private async discover(input: z.infer<typeof DiscoverToolsInput>): Promise<CallToolResult> {
    const tools = (await this.view()).tools;
    const byUpstream = new Map(tools.map((item) => [`${item.server.path} ${item.ref.tool}`, item]));
    const outcome = await this.exchange.services.search.search({
      tenant: this.exchange.principal.tenant,
      query: input.query,
      types: ["tool"],
      limit: input.limit ?? DEFAULT_DISCOVER_LIMIT,
      allow: (hit) => hit.kind === "tool" && byUpstream.has(`${hit.serverPath} ${hit.name}`),
    });
    const hits = outcome.results.flatMap((hit) => {
      const item = byUpstream.get(`${hit.serverPath} ${hit.name}`);
      if (!item) return [];
      return [
        {
          name: item.name,
          title: hit.title,
          description: item.ref.description ?? hit.description,
          inputSchema: hit.inputSchema,
          score: hit.score,
        },
      ];
    });
    return structured({ mode: outcome.mode, tools: hits, ...(outcome.notice && { notice: outcome.notice }) });
  }

  private forward(
    server: ServerRecord,
    request: UpstreamRequest,
    note: AuditNote,
    ctx: ServerContext,
  ): Promise<Record<string, unknown>> {
    note.serverId = server.id;
    return forwardUpstream(this.exchange, server, request, note, relayed(ctx));
  }
}
