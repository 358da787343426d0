// The gateway as an MCP server (aggregated endpoint `/mcp`): one SDK `Server`
// per exchange, built for the calling principal. Lists come from the stored
// catalog filtered by policy; tools/call, resources/read and prompts/get are
// checked against policy before anything is sent upstream, then forwarded to
// the server in its own protocol generation with progress relayed back.
// The low-level `Server` is used on purpose: tools keep the upstream's own
// JSON Schemas, which the high-level McpServer would want as zod schemas.
import {
  type CallToolResult,
  type GetPromptResult,
  ProtocolError,
  type ReadResourceResult,
  Server,
  type ServerContext,
  type Tool,
} from "@modelcontextprotocol/server";
import type { z } from "zod";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { describeRefusal } from "../registry/access-service.ts";
import { approvedCatalog, pinnedCall, refusalData } from "../security/pinned-edge.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import {
  callUpstream,
  UpstreamCallError,
  type UpstreamProgress,
  type UpstreamRequest,
} from "../upstream/upstream-call.ts";
import { discoverAgents } from "./agent-discovery.ts";
import {
  BroadcastTagInput,
  type BroadcastTarget,
  BroadcastToolInput,
  broadcastGroups,
  broadcastToolDefinitions,
  DEFAULT_BROADCAST_DEADLINE_MS,
  runBroadcast,
  summarize,
} from "./broadcast.ts";
import type { AuditNote, GatewayExchange } from "./gateway-exchange.ts";
import {
  BROADCAST_BY_TAG_PREFIX,
  BROADCAST_PREFIX,
  qualifyName,
  REGISTRY_TOOL_NAMES,
  splitQualifiedName,
  unwrapUri,
  wrapPromptResultUris,
  wrapReadResultUris,
  wrapToolResultUris,
  wrapUri,
} from "./gateway-names.ts";
import { findExposedServer, type GatewayView, loadGatewayView } from "./gateway-view.ts";
import {
  DEFAULT_DISCOVER_LIMIT,
  DiscoverToolsInput,
  discoveredTools,
  InvokeToolInput,
  ListServersInput,
  listServers,
  REGISTRY_TOOL_SET,
  REGISTRY_TOOLS,
  ServerHealthInput,
  serverHealth,
  structured,
} from "./registry-tools.ts";

export const GATEWAY_SERVER_INFO = { name: "mcp-gateway", title: "MCP Gateway", version: "0.1.0" };

const INSTRUCTIONS =
  "This gateway aggregates the MCP servers you may use. Tools are named {server}__{tool} and prompts " +
  "{server}__{prompt}; resource URIs are mcpgw://{server}/{original URI}. broadcast__{tool} calls a tool on " +
  "every server that has it, broadcast__by_tag__{tag} calls a tool on every server with a tag. " +
  "list_servers and server_health describe the servers; invoke_tool calls a tool by server and name.";

/** A fresh server for one exchange (the SDK's factory contract). */
export function createGatewayServer(exchange: GatewayExchange): Server {
  const server = new Server(GATEWAY_SERVER_INFO, {
    capabilities: { tools: {}, resources: {}, prompts: {} },
    instructions: INSTRUCTIONS,
  });
  const gateway = new GatewayHandlers(exchange);

  server.setRequestHandler("tools/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { tools: await gateway.tools() };
  });
  server.setRequestHandler("tools/call", (request, ctx) =>
    gateway.callTool(request.params.name, request.params.arguments ?? {}, ctx),
  );
  server.setRequestHandler("resources/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { resources: await gateway.resources() };
  });
  server.setRequestHandler("resources/templates/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { resourceTemplates: await gateway.resourceTemplates() };
  });
  server.setRequestHandler("resources/read", (request, ctx) => gateway.readResource(request.params.uri, ctx));
  server.setRequestHandler("prompts/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { prompts: await gateway.prompts() };
  });
  server.setRequestHandler("prompts/get", (request, ctx) =>
    gateway.getPrompt(request.params.name, request.params.arguments ?? {}, ctx),
  );
  return server;
}

/** Every list fits in one page, so no cursor is ever handed out. */
export function rejectCursor(cursor: string | undefined): void {
  if (cursor !== undefined) throw new ProtocolError(ErrorCode.InvalidParams, "Invalid cursor");
}

class GatewayHandlers {
  private view: Promise<GatewayView> | null = null;

  constructor(private readonly exchange: GatewayExchange) {}

  private access() {
    return this.exchange.access();
  }

  private loadView(): Promise<GatewayView> {
    this.view ??= this.access().then((access) =>
      loadGatewayView(this.exchange.services.store, this.exchange.principal, access, (server, entries) =>
        approvedCatalog(this.exchange.services.approvals, server, entries),
      ),
    );
    return this.view;
  }

  async tools(): Promise<Tool[]> {
    const view = await this.loadView();
    const serverTools = view.servers
      .filter((entry) => entry.exposed)
      .flatMap((entry) =>
        entry.tools.map(
          (tool) => ({ ...tool.definition, name: qualifyName(entry.server.path, tool.key) }) as Tool,
        ),
      );
    return [...REGISTRY_TOOLS, ...broadcastToolDefinitions(broadcastGroups(view)), ...serverTools];
  }

  async resources() {
    const view = await this.loadView();
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

  async resourceTemplates() {
    const view = await this.loadView();
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

  async prompts() {
    const view = await this.loadView();
    return view.servers
      .filter((entry) => entry.exposed)
      .flatMap((entry) =>
        entry.prompts.map((prompt) => ({
          ...prompt.definition,
          name: qualifyName(entry.server.path, prompt.key),
        })),
      );
  }

  async callTool(name: string, args: Record<string, unknown>, ctx: ServerContext): Promise<CallToolResult> {
    const note = this.exchange.note(ctx.mcpReq.id);
    note.tool = name;
    if (REGISTRY_TOOL_SET.has(name)) return this.registryTool(name, args, ctx, note);
    if (name.startsWith(BROADCAST_BY_TAG_PREFIX)) return this.broadcastByTag(name, args, ctx, note);
    if (name.startsWith(BROADCAST_PREFIX)) return this.broadcastTool(name, args, ctx, note);
    const qualified = splitQualifiedName(name);
    if (!qualified) throw unknownTool(name);
    return this.callServerTool(qualified.server, qualified.name, args, ctx, note);
  }

  /** `{server}__{tool}` and invoke_tool: policy first, then the catalog, then the upstream. */
  private async callServerTool(
    path: string,
    tool: string,
    args: Record<string, unknown>,
    ctx: ServerContext,
    note: AuditNote,
  ): Promise<CallToolResult> {
    note.serverPath = path;
    note.tool = tool;
    const decision = (await this.access()).decide(path, "tools/call", tool);
    this.exchange.decided(ctx.mcpReq.id, decision);
    if (!decision.allow) throw refused(decision.reason);

    const server = await findExposedServer(
      this.exchange.services.directory,
      this.exchange.principal,
      path,
      await this.access(),
    );
    if (!server) throw unknownTool(qualifyName(path, tool));
    note.serverId = server.id;
    const tools = await this.exchange.services.store.listCatalog(server.tenant, server.id, "tool");
    if (!tools.some((entry) => entry.key === tool)) throw unknownTool(qualifyName(path, tool));
    // Tool pinning (issue 14): held tools and undeclared arguments never reach the upstream.
    const pinned = await pinnedCall(this.exchange.services.approvals, server, tool, args);
    if (!pinned.allow) throw new ProtocolError(ErrorCode.Forbidden, pinned.message, refusalData(pinned));

    const request: UpstreamRequest = {
      method: "tools/call",
      params: { name: tool, arguments: pinned.arguments },
    };
    const result = await this.forward(server, request, note, relayed(ctx));
    return wrapToolResultUris(path, result) as CallToolResult;
  }

  async readResource(uri: string, ctx: ServerContext): Promise<ReadResourceResult> {
    const note = this.exchange.note(ctx.mcpReq.id);
    const target = unwrapUri(uri);
    if (!target) throw new ProtocolError(ErrorCode.InvalidParams, `Resource not found: ${uri}`, { uri });
    note.serverPath = target.server;
    const decision = (await this.access()).decide(target.server, "resources/read");
    this.exchange.decided(ctx.mcpReq.id, decision);
    if (!decision.allow) throw refused(decision.reason);
    const server = await findExposedServer(
      this.exchange.services.directory,
      this.exchange.principal,
      target.server,
      await this.access(),
    );
    if (!server) throw new ProtocolError(ErrorCode.InvalidParams, `Resource not found: ${uri}`, { uri });
    note.serverId = server.id;
    const request: UpstreamRequest = { method: "resources/read", params: { uri: target.uri } };
    const result = await this.forward(server, request, note, relayed(ctx));
    return wrapReadResultUris(target.server, result) as ReadResourceResult;
  }

  async getPrompt(name: string, args: Record<string, unknown>, ctx: ServerContext): Promise<GetPromptResult> {
    const note = this.exchange.note(ctx.mcpReq.id);
    const qualified = splitQualifiedName(name);
    if (!qualified) throw unknownPrompt(name);
    note.serverPath = qualified.server;
    note.detail = { prompt: qualified.name };
    const decision = (await this.access()).decide(qualified.server, "prompts/get");
    this.exchange.decided(ctx.mcpReq.id, decision);
    if (!decision.allow) throw refused(decision.reason);
    const server = await findExposedServer(
      this.exchange.services.directory,
      this.exchange.principal,
      qualified.server,
      await this.access(),
    );
    if (!server) throw unknownPrompt(name);
    note.serverId = server.id;
    const prompts = await this.exchange.services.store.listCatalog(server.tenant, server.id, "prompt");
    if (!prompts.some((entry) => entry.key === qualified.name)) throw unknownPrompt(name);
    const request: UpstreamRequest = {
      method: "prompts/get",
      params: { name: qualified.name, arguments: args },
    };
    const result = await this.forward(server, request, note, relayed(ctx));
    return wrapPromptResultUris(qualified.server, result) as GetPromptResult;
  }

  /** Sends `request` upstream; failures become JSON-RPC errors, progress is relayed as it arrives. */
  private forward(
    server: ServerRecord,
    request: UpstreamRequest,
    note: AuditNote,
    options: UpstreamCallOptions,
  ): Promise<Record<string, unknown>> {
    return forwardUpstream(this.exchange, server, request, note, options);
  }

  private async registryTool(
    name: string,
    args: Record<string, unknown>,
    ctx: ServerContext,
    note: AuditNote,
  ): Promise<CallToolResult> {
    switch (name) {
      case REGISTRY_TOOL_NAMES.listServers:
        return listServers(await this.loadView(), parseInput(ListServersInput, args, name));
      case REGISTRY_TOOL_NAMES.serverHealth:
        return serverHealth(await this.loadView(), parseInput(ServerHealthInput, args, name));
      case REGISTRY_TOOL_NAMES.discoverTools:
        return this.discoverTools(parseInput(DiscoverToolsInput, args, name));
      default: {
        const input = parseInput(InvokeToolInput, args, name);
        note.detail = { via: name };
        return this.callServerTool(input.server, input.tool, input.arguments ?? {}, ctx, note);
      }
    }
  }

  /** Search over the tools the caller may call on exposed servers (the same set tools/list shows). */
  private async discoverTools(input: z.infer<typeof DiscoverToolsInput>): Promise<CallToolResult> {
    const view = await this.loadView();
    const callable = new Set(
      view.servers
        .filter((entry) => entry.exposed)
        .flatMap((entry) => entry.tools.map((tool) => qualifyName(entry.server.path, tool.key))),
    );
    const outcome = await this.exchange.services.search.search({
      tenant: this.exchange.principal.tenant,
      query: input.query,
      types: ["tool"],
      limit: input.limit ?? DEFAULT_DISCOVER_LIMIT,
      allow: (hit) => hit.kind === "tool" && callable.has(qualifyName(hit.serverPath, hit.name)),
    });
    // A2A agents the caller may see, with kind "agent" (mcp/agent-discovery.ts).
    const { services, principal } = this.exchange;
    const agents = await discoverAgents(
      services.agents,
      principal,
      input.query,
      input.limit ?? DEFAULT_DISCOVER_LIMIT,
    );
    return discoveredTools(outcome, agents);
  }

  private async broadcastTool(
    name: string,
    args: Record<string, unknown>,
    ctx: ServerContext,
    note: AuditNote,
  ): Promise<CallToolResult> {
    const tool = name.slice(BROADCAST_PREFIX.length);
    const groups = broadcastGroups(await this.loadView());
    const targets = groups.byTool.get(tool);
    if (!targets) throw unknownTool(name);
    const input = parseInput(BroadcastToolInput, args, name);
    const wanted = input.servers ? new Set(input.servers) : null;
    const chosen = wanted ? targets.filter((target) => wanted.has(target.server.path)) : targets;
    const skipped = (input.servers ?? [])
      .filter((path) => !targets.some((target) => target.server.path === path))
      .map((server) => ({ server, reason: `not a server where you may call "${tool}"` }));
    return this.broadcast({ tool }, chosen, input.arguments ?? {}, input.timeout_ms, skipped, ctx, note);
  }

  private async broadcastByTag(
    name: string,
    args: Record<string, unknown>,
    ctx: ServerContext,
    note: AuditNote,
  ): Promise<CallToolResult> {
    const suffix = name.slice(BROADCAST_BY_TAG_PREFIX.length);
    const group = broadcastGroups(await this.loadView()).byTag.get(suffix);
    if (!group) throw unknownTool(name);
    const input = parseInput(BroadcastTagInput, args, name);
    const targets: BroadcastTarget[] = [];
    const skipped: { server: string; reason: string }[] = [];
    for (const entry of group.servers) {
      const tool = entry.tools.find((candidate) => candidate.key === input.tool);
      if (tool) targets.push({ server: entry.server, tool });
      else skipped.push({ server: entry.server.path, reason: `no tool "${input.tool}" that you may call` });
    }
    const base = { tool: input.tool, tag: group.tag };
    return this.broadcast(base, targets, input.arguments ?? {}, input.timeout_ms, skipped, ctx, note);
  }

  private async broadcast(
    base: { tool: string; tag?: string },
    targets: BroadcastTarget[],
    args: Record<string, unknown>,
    deadlineMs: number | undefined,
    skipped: { server: string; reason: string }[],
    ctx: ServerContext,
    note: AuditNote,
  ): Promise<CallToolResult> {
    const deadline = deadlineMs ?? DEFAULT_BROADCAST_DEADLINE_MS;
    const run = await runBroadcast(
      targets,
      (target, signal) => {
        // The broadcast itself is the audited request; its targets write to a scratch note.
        const scratch = { ...note, detail: null };
        const request: UpstreamRequest = {
          method: "tools/call",
          params: { name: target.tool.key, arguments: args },
        };
        return this.forward(target.server, request, scratch, { signal }).then((result) =>
          wrapToolResultUris(target.server.path, result),
        );
      },
      describeFailure,
      { deadlineMs: deadline, signal: ctx.mcpReq.signal },
    );
    const report = summarize({ ...base, deadlineMs: deadline }, run, skipped);
    note.detail = {
      broadcast: base,
      servers: run.results.map((outcome) => outcome.server),
      succeeded: report.totals.succeeded,
      failed: report.totals.failed,
    };
    if (report.totals.succeeded === 0) note.outcome = "error";
    return structured(report, report.totals.succeeded === 0 && report.totals.servers > 0);
  }
}

/** Upstream call options for one request: its cancellation and progress relay. */
export interface UpstreamCallOptions {
  signal: AbortSignal;
  onProgress?: (progress: UpstreamProgress) => void;
}

/**
 * One request to `server` on behalf of the exchange's caller (policy already
 * checked): egress credential, leased replica, the client session's upstream
 * session; the audit note gets the upstream status and outcome.
 */
export async function forwardUpstream(
  exchange: GatewayExchange,
  server: ServerRecord,
  request: UpstreamRequest,
  note: AuditNote,
  options: UpstreamCallOptions,
): Promise<Record<string, unknown>> {
  try {
    const outcome = await callUpstream(server, request, {
      secrets: exchange.secrets,
      lease: exchange.lease,
      fetch: exchange.services.egress.fetch,
      ...options,
      ...(exchange.upstreamSessions && { sessions: exchange.upstreamSessions }),
      defer: (work) => exchange.defer(work),
    });
    note.upstreamStatus = outcome.upstreamStatus;
    if (outcome.result.isError === true) note.outcome = "tool_error";
    return withoutProtocolFields(outcome.result);
  } catch (error) {
    if (!(error instanceof UpstreamCallError)) throw error;
    note.upstreamStatus = error.upstreamStatus;
    note.outcome = OUTCOME[error.failure];
    throw asProtocolError(error);
  }
}

const OUTCOME: Record<UpstreamCallError["failure"], string> = {
  rejected: "upstream_error",
  unavailable: "upstream_error",
  misconfigured: "error",
  timeout: "timeout",
  cancelled: "cancelled",
  refused: "refused",
};

function asProtocolError(error: UpstreamCallError): ProtocolError {
  switch (error.failure) {
    case "rejected":
      return new ProtocolError(
        error.rpc?.code ?? ErrorCode.InternalError,
        error.rpc?.message ?? error.reason,
        error.rpc?.data,
      );
    case "timeout":
      return new ProtocolError(ErrorCode.UpstreamTimeout, error.reason);
    case "refused":
      return new ProtocolError(
        error.rpc?.code ?? ErrorCode.UpstreamUnavailable,
        error.reason,
        error.rpc?.data,
      );
    case "cancelled":
      return new ProtocolError(ErrorCode.InternalError, error.reason);
    default:
      return new ProtocolError(ErrorCode.UpstreamUnavailable, error.reason);
  }
}

function describeFailure(error: unknown): { kind: string; message: string; code?: number } {
  if (error instanceof ProtocolError) {
    const kind =
      error.code === ErrorCode.UpstreamTimeout
        ? "timeout"
        : error.code === ErrorCode.UpstreamUnavailable
          ? "unavailable"
          : "rejected";
    return { kind, message: error.message, code: error.code };
  }
  return { kind: "error", message: "the call failed" };
}

/** Upstream call options for a request: its cancellation, and its progress relayed when the client asked for it. */
export function relayed(ctx: ServerContext): UpstreamCallOptions {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return { signal: ctx.mcpReq.signal };
  return {
    signal: ctx.mcpReq.signal,
    onProgress: (progress) => {
      const params = { progressToken, ...progress };
      ctx.mcpReq.notify({ method: "notifications/progress", params }).catch(() => {});
    },
  };
}

/** Fields the upstream's protocol revision put on its result; the gateway's own server sets them for its caller. */
function withoutProtocolFields(result: Record<string, unknown>): Record<string, unknown> {
  const { resultType: _resultType, ttlMs: _ttlMs, cacheScope: _cacheScope, ...rest } = result;
  if (typeof rest._meta === "object" && rest._meta !== null) {
    const meta = Object.fromEntries(
      Object.entries(rest._meta as Record<string, unknown>).filter(
        ([key]) => !key.startsWith("io.modelcontextprotocol/"),
      ),
    );
    if (Object.keys(meta).length === 0) delete rest._meta;
    else rest._meta = meta;
  }
  return rest;
}

export function parseInput<T extends z.ZodType>(
  schema: T,
  args: Record<string, unknown>,
  tool: string,
): z.infer<T> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(
    (issue) => `${issue.path.join(".") || "(arguments)"}: ${issue.message}`,
  );
  throw new ProtocolError(ErrorCode.InvalidParams, `Invalid arguments for ${tool}: ${issues.join("; ")}`);
}

export function refused(reason: Parameters<typeof describeRefusal>[0]): ProtocolError {
  return new ProtocolError(ErrorCode.Forbidden, describeRefusal(reason), { reason });
}

export function unknownTool(name: string): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
}

export function unknownPrompt(name: string): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
}
