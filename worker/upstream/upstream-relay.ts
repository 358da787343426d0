// What an upstream sends on its own while the gateway talks to it, handed to
// whoever relays it to the gateway's caller: its requests to the client
// (elicitation, sampling, roots: 2025 server-to-client requests, or the
// embedded requests of a 2026 `input_required` result, which the SDK client
// turns into the same handler calls) and its notifications (log messages,
// list changes, resource updates, cancellations are handled by the SDK).
// The gateway declares upstream only the capabilities the relay can bridge,
// so an upstream never asks for something nobody can answer.
import type { Client, ClientCapabilities } from "@modelcontextprotocol/client";

/** Server-to-client requests the gateway can bridge to its caller. */
export const RELAYED_REQUESTS = ["elicitation/create", "sampling/createMessage", "roots/list"] as const;
export type RelayedRequestMethod = (typeof RELAYED_REQUESTS)[number];

/** The client capabilities that make an upstream send each relayed request. */
const CAPABILITY_OF: Record<RelayedRequestMethod, "elicitation" | "sampling" | "roots"> = {
  "elicitation/create": "elicitation",
  "sampling/createMessage": "sampling",
  "roots/list": "roots",
};

export type RelayedCapabilities = Pick<ClientCapabilities, "elicitation" | "sampling" | "roots">;

/** The client capabilities a relay can bridge (an object under one of these names declares it). */
export const RELAYED_CAPABILITIES = ["elicitation", "sampling", "roots"] as const;

export interface UpstreamNotice {
  method: string;
  params?: Record<string, unknown>;
}

export interface UpstreamRelay {
  /** Declared upstream: what the gateway's caller can answer. */
  capabilities: RelayedCapabilities;
  /**
   * One request of the upstream to the client; resolves with the client's result.
   * `key` is the name a 2026 upstream gave it in its `inputRequests` (a relay
   * that re-asks a 2026 caller keeps it, so the upstream's keys reach the caller).
   */
  request(
    method: RelayedRequestMethod,
    params: Record<string, unknown>,
    signal: AbortSignal,
    key?: string,
  ): Promise<Record<string, unknown>>;
  /** A notification of the upstream (progress excepted: that is the call's own relay). */
  notify?(notice: UpstreamNotice): void;
  /**
   * The upstream closed the call's stream before its answer, to be polled
   * (SEP-1699): the SDK reconnects at the upstream's `retry` pace, or at once
   * when the caller calls `reconnect` (it came back for the answer).
   */
  polling?(reconnect: () => void): void;
}

/**
 * The bridgeable part of a caller's client capabilities (the 2025
 * `initialize` capabilities, or a 2026 request's per-request capabilities).
 * Roots' `listChanged` is the gateway's business, not the upstream's.
 */
export function relayedCapabilities(client: unknown): RelayedCapabilities {
  if (typeof client !== "object" || client === null) return {};
  const declared = client as Record<string, unknown>;
  const out: RelayedCapabilities = {};
  for (const name of RELAYED_CAPABILITIES) {
    const value = declared[name];
    if (typeof value === "object" && value !== null)
      (out as Record<string, unknown>)[name] = name === "roots" ? {} : { ...value };
  }
  return out;
}

/** Registers the relay's handlers on an upstream client (constructed with `relay.capabilities`). */
export function attachRelay(client: Client, relay: UpstreamRelay): void {
  for (const method of RELAYED_REQUESTS) {
    if (!relay.capabilities[CAPABILITY_OF[method]]) continue;
    // The SDK validates the request before and the result after the handler; the relay passes both through.
    client.setRequestHandler(method, async (request, ctx) => {
      const params = (request.params ?? {}) as Record<string, unknown>;
      // An embedded request of an input_required result arrives with its inputRequests key as id.
      const key = typeof ctx.mcpReq.id === "string" ? ctx.mcpReq.id : undefined;
      // biome-ignore lint/suspicious/noExplicitAny: the handler's result type differs per method; the caller's answer is validated by the SDK.
      return (await relay.request(method, params, ctx.mcpReq.signal, key)) as any;
    });
  }
  const notify = relay.notify;
  if (notify) {
    client.fallbackNotificationHandler = async (notification) => {
      notify({
        method: notification.method,
        ...(notification.params !== undefined && {
          params: notification.params as Record<string, unknown>,
        }),
      });
    };
  }
}
