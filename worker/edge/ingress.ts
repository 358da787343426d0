// The one ingress of every MCP endpoint (`/{path}/mcp`, `/{path}/sse`,
// `/{path}/message`, `/mcp` and the McpSession Durable Object): each HTTP
// request is read and classified once into an McpRequest: who calls, the
// JSON-RPC message(s) with method, target and id (the body is read and
// parsed exactly once, here), the protocol version, the session, an access
// helper over the one `decide()` (policy loaded at most once), and the audit
// trail. Both wings (worker/proxy/, worker/aggregated/) consume this value;
// the SDK is handed the parsed body, so it never reads the body again.
import { isLegacyRequest } from "@modelcontextprotocol/server";
import type { Principal } from "../auth/principal.ts";
import type { GatewayConfig } from "../env.ts";
import type { WaitUntil } from "../observability/audit.ts";
import { observePolicy } from "../observability/hooks.ts";
import { adoptTraceFromMessages, type CarriedTrace, carryTrace } from "../observability/tracing.ts";
import {
  type JsonRpcId,
  type JsonRpcParseError,
  type ParsedBody,
  readJsonRpcBody,
} from "../protocol/jsonrpc.ts";
import { isPlainObject } from "../protocol/tool-results.ts";
import type { Services } from "../services.ts";
import { type McpAccess, mcpAccess } from "./access.ts";
import { AuditTrail } from "./audit-trail.ts";
import { clientSignal } from "./hang-up.ts";

const TOOL_CALL_PARAM_KEYS = new Set(["name", "arguments", "_meta"]);

/** A lone tools/call as `McpRequest.soleToolCall` finds it; `args` and `meta` are not checked yet. */
export interface SoleToolCall {
  id: JsonRpcId;
  name: string;
  args: unknown;
  meta: unknown;
}

/** What the edge needs from the composition root (services.ts), passed in, never looked up. */
export interface EdgeDeps {
  services: Services;
  config: GatewayConfig;
  env: Env;
  waitUntil: WaitUntil;
}

export type Generation = "stateless" | "session";

/** The part of an McpRequest that crosses into the session Durable Object (structured-clonable). */
export interface IngressSnapshot {
  method: string;
  url: string;
  headers: [string, string][];
  principal: Principal;
  requestId: string;
  startedAt: number;
  /** The body as parsed JSON (handed to the SDK as `parsedBody`). */
  json: unknown;
  body: ParsedBody | null;
  bodyError: { code: number; message: string; id: string | number | null } | null;
  /** The Worker's current span, continued by the object's spans (observability/durable-scope.ts). */
  trace?: CarriedTrace | null;
}

export interface McpRequestInit {
  principal: Principal;
  requestId: string;
  deps: EdgeDeps;
  /**
   * Keep the incoming Request as `http` (its method, URL and headers; its
   * body already read here) instead of copying it: saves a Request and two
   * header copies per request (~4% of a stateless /mcp call's profile). For
   * callers whose code never reads `http`'s body: the per-server proxy, and
   * the aggregated endpoint, which hands the SDK the parsed body. Read the
   * client's signal from `signal`, not from `http`.
   */
  keepRequest?: boolean;
}

export class McpRequest {
  readonly method: string;
  readonly principal: Principal;
  readonly tenant: string;
  readonly requestId: string;
  readonly deps: EdgeDeps;
  /** `MCP-Protocol-Version` as sent (null when absent). */
  readonly protocolVersion: string | null;
  /** `Mcp-Session-Id` as sent (sealed on the per-server endpoints, raw on /mcp). */
  readonly sessionId: string | null;
  /** Aborts when the client is gone (its hang-up, edge/hang-up.ts, or the runtime's signal). */
  readonly signal: AbortSignal;
  /** The parsed JSON body (undefined without a body or when it is not JSON). */
  readonly json: unknown;
  /** The classified JSON-RPC messages (null without a body or when it could not be read). */
  readonly body: ParsedBody | null;
  /** Why the body could not be read as JSON-RPC (the reply uses its code). */
  readonly bodyError: IngressSnapshot["bodyError"];
  private auditTrail: AuditTrail | null = null;
  private accessLoad: Promise<McpAccess> | null = null;
  private generationOf: Promise<Generation> | null = null;

  /** The incoming Request, or the copy `http` made (a snapshot's: on first use, w7-sess). */
  private httpRequest: Request | undefined;
  private readonly snapshotOf: IngressSnapshot;

  private constructor(snapshot: IngressSnapshot, init: McpRequestInit, http?: Request, signal?: AbortSignal) {
    this.httpRequest = http;
    this.snapshotOf = snapshot;
    // A snapshot's request (the session object) has no client signal of its own: one that never aborts.
    this.signal = signal ?? http?.signal ?? new AbortController().signal;
    this.method = snapshot.method;
    this.principal = snapshot.principal;
    this.tenant = snapshot.principal.tenant;
    this.requestId = snapshot.requestId;
    this.deps = init.deps;
    this.protocolVersion = this.header("mcp-protocol-version");
    this.sessionId = this.header("mcp-session-id");
    this.json = snapshot.json;
    this.body = snapshot.body;
    this.bodyError = snapshot.bodyError;
  }

  /**
   * The request's audit trail (edge/audit-trail.ts), made on first use: the
   * per-server proxy notes its verdicts only when the answer is in, so the
   * steady request enters the trail's module once, at the end, instead of
   * here and again there. Its duration still counts from the ingress.
   */
  get audit(): AuditTrail {
    this.auditTrail ??= new AuditTrail({
      principal: this.principal,
      requestId: this.requestId,
      startedAt: this.snapshotOf.startedAt,
      auditor: this.deps.services.auditor,
      waitUntil: this.deps.waitUntil,
    });
    return this.auditTrail;
  }

  /**
   * Method, URL and headers of the HTTP request (its body was consumed by the
   * ingress). Built from a snapshot only when read: a session object's plain
   * call reads its few headers with `header` (a Request was ~3% of its CPU).
   */
  get http(): Request {
    const { url, method, headers } = this.snapshotOf;
    // A copy keeps the client's signal: a stateless client's hang-up cancels the call (edge/hang-up.ts).
    this.httpRequest ??= new Request(url, { method, headers, signal: this.signal });
    return this.httpRequest;
  }

  /** Header `name` (lower case) as sent, without building `http`. */
  header(name: string): string | null {
    if (this.httpRequest) return this.httpRequest.headers.get(name);
    return this.snapshotOf.headers.find(([key]) => key === name)?.[1] ?? null;
  }

  /** Reads `request` (its body, once) into an McpRequest. */
  static async read(request: Request, init: McpRequestInit): Promise<McpRequest> {
    const startedAt = Date.now();
    let json: unknown;
    let body: ParsedBody | null = null;
    let bodyError: IngressSnapshot["bodyError"] = null;
    if (request.method === "POST") {
      const text = await request.text();
      const read = readJsonRpcBody(text);
      json = read.json;
      if ("error" in read) bodyError = errorOf(read.error);
      else {
        body = read.body;
        // 2026-07-28: trace context in `_meta`. A body that names no traceparent (not even
        // through a \u escape) has none: tracing is not entered for it.
        if (text.includes("traceparent") || text.includes("\\u")) adoptTraceFromMessages(body.messages);
      }
    }
    return new McpRequest(
      {
        method: request.method,
        url: request.url,
        headers: init.keepRequest ? [] : [...request.headers],
        principal: init.principal,
        requestId: init.requestId,
        startedAt,
        json,
        body,
        bodyError,
      },
      init,
      init.keepRequest ? request : undefined,
      clientSignal(request),
    );
  }

  /** Rebuilds the request on the other side of a Durable Object call, without reading anything again. */
  static fromSnapshot(
    snapshot: IngressSnapshot,
    init: Omit<McpRequestInit, "principal" | "requestId">,
  ): McpRequest {
    return new McpRequest(snapshot, {
      ...init,
      principal: snapshot.principal,
      requestId: snapshot.requestId,
    });
  }

  snapshot(): IngressSnapshot {
    return {
      method: this.method,
      url: this.http.url,
      headers: [...this.http.headers],
      principal: this.principal,
      requestId: this.requestId,
      startedAt: this.audit.startedAt,
      json: this.json,
      body: this.body,
      bodyError: this.bodyError,
      trace: carryTrace(),
    };
  }

  /** The caller's MCP permissions; the tenant's policy is loaded at most once per request. */
  access(): Promise<McpAccess> {
    this.accessLoad ??= observePolicy(() =>
      this.deps.services.access.policyFor(this.tenant).then((policy) => mcpAccess(policy, this.principal)),
    );
    return this.accessLoad;
  }

  /** Runs a wing's own policy lookup (e.g. a cached route) as this request's policy step (its span). */
  observedPolicy<T>(work: () => Promise<T>): Promise<T> {
    return observePolicy(work);
  }

  /** 2026-07-28 (stateless) or 2025-era (session-based), by the SDK's own classifier on the parsed body. */
  generation(): Promise<Generation> {
    this.generationOf ??= isLegacyRequest(this.http, this.json, {
      maxRequestBodySize: this.deps.config.maxBodyBytes,
    }).then((legacy) => (legacy ? "session" : "stateless"));
    return this.generationOf;
  }

  /**
   * The one `tools/call` when the body is exactly that: a POST of a single
   * request (no batch) whose params hold a string `name` and nothing but
   * `name`, `arguments` and `_meta`. Null otherwise. The fast paths that
   * answer a call without the SDK (aggregated/direct-call.ts,
   * aggregated/session-call.ts) start from this and check the rest their way.
   */
  soleToolCall(): SoleToolCall | null {
    const body = this.body;
    if (this.method !== "POST" || this.bodyError !== null || !body || body.batch) return null;
    const [first, ...rest] = body.messages;
    if (!first || rest.length > 0 || first.type !== "request" || first.message.method !== "tools/call") {
      return null;
    }
    const params = first.message.params;
    if (!isPlainObject(params) || typeof params.name !== "string") return null;
    if (Object.keys(params).some((key) => !TOOL_CALL_PARAM_KEYS.has(key))) return null;
    return { id: first.message.id, name: params.name, args: params.arguments ?? {}, meta: params._meta };
  }

  /** The first message's method (for refusals and the audit). */
  firstMethod(): string | null {
    const first = this.body?.messages[0];
    return first !== undefined && first.type !== "response" ? first.method : null;
  }
}

function errorOf(error: JsonRpcParseError): IngressSnapshot["bodyError"] {
  return { code: error.code, message: error.message, id: error.id };
}
