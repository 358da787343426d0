// The McpSession object as the Worker binds it (worker/index.ts exports this
// class under the name McpSession): each entry point that serves a request of
// the session runs in a request scope continuing the Worker's trace
// (observability/durable-scope.ts), so the policy and upstream-call spans of a
// session-based /mcp request land in the same trace as the Worker's ingress
// span, upstreams see that trace id in traceparent, and upstream latency is
// measured here as in the Worker. The session logic stays in mcp-session.ts.
import { afterBody } from "../worker/aggregated/gateway-exchange.ts";
import type { IngressSnapshot } from "../worker/edge/ingress.ts";
import { type DurableScopeDeps, serveInDurableScope } from "../worker/observability/durable-scope.ts";
import { servicesFor } from "../worker/services.ts";
import { McpSession } from "./mcp-session.ts";

export class TracedMcpSession extends McpSession {
  private readonly scopeDeps: DurableScopeDeps;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // The same per-environment services and configuration the base class composed (memoized).
    const { services, config } = servicesFor(env);
    this.scopeDeps = {
      tracer: services.tracer,
      metrics: services.metrics,
      tracing: config.observability.tracing,
      waitUntil: ctx,
      afterBody,
    };
  }

  override open(snapshot: IngressSnapshot, sessionId: string, virtual: string | null = null) {
    return serveInDurableScope(this.scopeDeps, snapshot.trace, "McpSession.open", () =>
      super.open(snapshot, sessionId, virtual),
    );
  }

  override handle(snapshot: IngressSnapshot, virtual: string | null = null) {
    return serveInDurableScope(this.scopeDeps, snapshot.trace, "McpSession.handle", () =>
      super.handle(snapshot, virtual),
    );
  }

  override end(snapshot: IngressSnapshot, virtual: string | null = null) {
    return serveInDurableScope(this.scopeDeps, snapshot.trace, "McpSession.end", () =>
      super.end(snapshot, virtual),
    );
  }
}
