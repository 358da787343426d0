// One HTTP exchange with the aggregated endpoint `/mcp`: the ingress's
// request value (who calls, the parsed body, the caller's access, the audit
// trail) plus what the gateway's MCP handlers need to call upstreams. The
// route registers every JSON-RPC request of the body before the SDK
// dispatches it; handlers fill in the server, tool, decision and outcome;
// one event per request is written once the response body has been sent
// (arguments are never recorded).
import type { Server } from "@modelcontextprotocol/server";
import type { Principal } from "../auth/principal.ts";
import type { McpAccess } from "../edge/access.ts";
import type { AuditNote } from "../edge/audit-trail.ts";
import type { Generation, McpRequest } from "../edge/ingress.ts";
import type { GatewayConfig } from "../env.ts";
import type { Decision } from "../policy/access-policy.ts";
import type { ClassifiedMessage, JsonRpcId } from "../protocol/jsonrpc.ts";
import type { Services } from "../services.ts";
import type { SecretSource } from "../upstream/egress.ts";
import type { UpstreamLeaseContext, UpstreamSessionStore } from "../upstream/upstream-call.ts";
import { secretsOf, upstreamLease } from "./direct-call.ts";
import type { ResourceRouting } from "./relay-resources.ts";
import type { ClientChannel } from "./session-relay.ts";

export type { AuditNote, Generation };

export interface ExchangeInit {
  request: McpRequest;
  generation: Generation;
  /** The client session (session-based clients only). */
  sessionId?: string;
  /** Upstream sessions of the client session, reused across calls. */
  upstreamSessions?: UpstreamSessionStore;
  /** The endpoint's path for the audit (default `/mcp`; a virtual server's `/v/{name}/mcp`). */
  endpoint?: string;
  /** Builds the MCP server that answers this exchange (default: the aggregated gateway server). */
  createServer?: ServerFactory;
  /** A session client's channel for what upstreams send on their own (gateway-relay.ts). */
  clientChannel?: ClientChannel;
  /** The server paths the endpoint draws from, when not all the caller may see (a virtual server's). */
  relayServers?: ReadonlySet<string>;
  /** How the endpoint names resources for subscriptions (default: the aggregated endpoint's, relay-resources.ts). */
  resources?: ResourceRouting;
}

/** Builds a fresh SDK server for one exchange (the SDK's factory contract). */
export type ServerFactory = (exchange: GatewayExchange) => Server;

export class GatewayExchange {
  readonly request: McpRequest;
  readonly services: Services;
  readonly config: GatewayConfig;
  readonly principal: Principal;
  readonly requestId: string;
  readonly generation: Generation;
  readonly sessionId: string | undefined;
  readonly upstreamSessions: UpstreamSessionStore | undefined;
  #secrets: SecretSource | undefined;
  #lease: UpstreamLeaseContext | undefined;
  readonly endpoint: string;
  readonly createServer: ServerFactory | undefined;
  readonly clientChannel: ClientChannel | undefined;
  readonly relayServers: ReadonlySet<string> | undefined;
  readonly resources: ResourceRouting | undefined;

  constructor(init: ExchangeInit) {
    const { request } = init;
    this.request = request;
    this.services = request.deps.services;
    this.config = request.deps.config;
    this.principal = request.principal;
    this.requestId = request.requestId;
    this.generation = init.generation;
    this.sessionId = init.sessionId;
    this.upstreamSessions = init.upstreamSessions;
    this.endpoint = init.endpoint ?? "/mcp";
    this.createServer = init.createServer;
    this.clientChannel = init.clientChannel;
    this.relayServers = init.relayServers;
    this.resources = init.resources;
    request.audit.setContext({
      endpoint: this.endpoint,
      generation: init.generation,
      ...(init.sessionId && { session: init.sessionId.slice(0, 8) }),
    });
  }

  /** The egress secrets (the Worker's environment); made on first use, as a request may call no upstream. */
  get secrets(): SecretSource {
    this.#secrets ??= secretsOf(this.request.deps.env);
    return this.#secrets;
  }

  /** What upstream calls need to lease replicas, made on first use (direct-call.ts `upstreamLease`). */
  get lease(): UpstreamLeaseContext {
    this.#lease ??= upstreamLease(this.request, this.upstreamSessions);
    return this.#lease;
  }

  /** The caller's permissions, loaded once per request. */
  access(): Promise<McpAccess> {
    return this.request.access();
  }

  /** Registers the requests of the body (notifications and responses leave no event). */
  expect(messages: ClassifiedMessage[]): void {
    this.request.audit.expect(messages);
  }

  /** A body that could not be read as JSON-RPC: one event for the whole exchange. */
  rejected(reason: string, method: string | null = null): void {
    this.request.audit.rejected(reason, method);
  }

  /** An exchange without JSON-RPC requests that is still worth an event (e.g. ending a session). */
  action(method: string, reason: string): void {
    this.request.audit.action(method, reason);
  }

  /** The note of request `id`, for its handler to fill in. */
  note(id: JsonRpcId): AuditNote {
    return this.request.audit.note(id);
  }

  /** Records a policy decision on the note of request `id`. */
  decided(id: JsonRpcId, decision: Decision): void {
    this.request.audit.decided(id, decision);
  }

  /** Work to finish after the response (closing upstream sessions, audit writes). */
  defer(work: Promise<unknown>): void {
    this.request.deps.waitUntil.waitUntil(work.catch(() => {}));
  }

  /**
   * Writes the audit events once `response`'s body has been sent (or right
   * away for an empty body), then runs `finished` (e.g. closing the SDK server).
   */
  recordAfter(response: Response, finished?: () => void): Response {
    const done = () => {
      this.record();
      finished?.();
    };
    if (!response.body) {
      done();
      return response;
    }
    const body = afterBody(response.body, done);
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /** Writes the audit events now (at most once per exchange). */
  record(): void {
    this.request.audit.record();
  }
}

/** Passes `body` through and calls `done` once when it ends, fails or is cancelled by the reader. */
export function afterBody(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          controller.close();
          finish();
          return;
        }
        controller.enqueue(chunk.value);
      } catch (error) {
        controller.error(error);
        finish();
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason).catch(() => {});
    },
  });
}
