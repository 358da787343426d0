// The aggregated endpoint's MCP handlers for one exchange: lists from the
// caller's view of the catalog (gateway-lists.ts), and tools/call,
// resources/read and prompts/get checked against policy, the catalog and tool
// pinning before they are forwarded upstream (gateway-forward.ts); the
// registry tools and the broadcast tools.

import type {
  CallToolResult,
  GetPromptResult,
  ReadResourceResult,
  ServerContext,
  Tool,
} from "@modelcontextprotocol/server";
import { ProtocolError } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { approvedCatalog } from "../security/pinned-edge.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import type { UpstreamRequest } from "../upstream/upstream-call.ts";
import { discoverAgents } from "./agent-discovery.ts";
import {
  BroadcastTagInput,
  type BroadcastTarget,
  BroadcastToolInput,
  broadcastGroups,
  DEFAULT_BROADCAST_DEADLINE_MS,
  runBroadcast,
  summarize,
} from "./broadcast.ts";
import type { CallRoute } from "./call-route.ts";
import { callRouteOf, callServerTool } from "./direct-call.ts";
import { parseInput, refused, unknownPrompt, unknownTool } from "./gateway-errors.ts";
import type { AuditNote, GatewayExchange } from "./gateway-exchange.ts";
import { describeFailure, forwardUpstream, relayed, type UpstreamCallOptions } from "./gateway-forward.ts";
import { listPrompts, listResources, listResourceTemplates, listTools } from "./gateway-lists.ts";
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
} from "./gateway-names.ts";
import { type GatewayView, loadGatewayView } from "./gateway-view.ts";
import {
  DEFAULT_DISCOVER_LIMIT,
  DiscoverToolsInput,
  discoveredTools,
  InvokeToolInput,
  ListServersInput,
  listServers,
  REGISTRY_TOOL_SET,
  ServerHealthInput,
  serverHealth,
  structured,
} from "./registry-tools.ts";

export class GatewayHandlers {
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
    return listTools(await this.loadView());
  }

  async resources() {
    return listResources(await this.loadView());
  }

  async resourceTemplates() {
    return listResourceTemplates(await this.loadView());
  }

  async prompts() {
    return listPrompts(await this.loadView());
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

  /** `{server}__{tool}` and invoke_tool: policy first, then the catalog, then the upstream (direct-call.ts). */
  private async callServerTool(
    path: string,
    tool: string,
    args: Record<string, unknown>,
    ctx: ServerContext,
    note: AuditNote,
  ): Promise<CallToolResult> {
    const result = await callServerTool(
      this.exchange.request,
      path,
      tool,
      args,
      ctx.mcpReq.id,
      note,
      (server, request) => this.forward(server, request, note, relayed(ctx)),
    );
    return wrapToolResultUris(path, result) as CallToolResult;
  }

  /** Policy and server of this caller on `path` in one cached route (call-route.ts). */
  private routeTo(path: string): Promise<CallRoute> {
    return callRouteOf(this.exchange.request, path);
  }

  async readResource(uri: string, ctx: ServerContext): Promise<ReadResourceResult> {
    const note = this.exchange.note(ctx.mcpReq.id);
    const target = unwrapUri(uri);
    if (!target) throw new ProtocolError(ErrorCode.InvalidParams, `Resource not found: ${uri}`, { uri });
    note.serverPath = target.server;
    const route = await this.routeTo(target.server);
    const decision = route.guard.decide("resources/read");
    this.exchange.decided(ctx.mcpReq.id, decision);
    if (!decision.allow) throw refused(decision.reason);
    const server = route.target?.server;
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
    const route = await this.routeTo(qualified.server);
    const decision = route.guard.decide("prompts/get");
    this.exchange.decided(ctx.mcpReq.id, decision);
    if (!decision.allow) throw refused(decision.reason);
    const server = route.target?.server;
    if (!server) throw unknownPrompt(name);
    note.serverId = server.id;
    const prompts = await this.exchange.services.directory.catalog(server, "prompt");
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
