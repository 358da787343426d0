// A transport seen through two message maps: what the SDK client sends is
// mapped on the way out, what the upstream sends on the way in. The lenient
// result reading (lenient-results.ts) and the per-conversation request ids
// (upstream-client.ts) are such maps.
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/client";

export interface MessageMaps {
  outgoing?: (message: JSONRPCMessage) => JSONRPCMessage;
  incoming?: (message: JSONRPCMessage) => JSONRPCMessage;
}

export function mapMessages<T extends Transport>(transport: T, maps: MessageMaps): T {
  const { outgoing, incoming } = maps;
  return new Proxy(transport, {
    // Methods run on the transport itself: its private fields do not exist on the proxy.
    get(target, property) {
      if (property === "send" && outgoing) {
        return (message: JSONRPCMessage, options?: Parameters<Transport["send"]>[1]) =>
          target.send(outgoing(message), options);
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" && property !== "onmessage" ? value.bind(target) : value;
    },
    set(target, property, value) {
      if (property !== "onmessage" || typeof value !== "function" || !incoming) {
        return Reflect.set(target, property, value, target);
      }
      const deliver = value as NonNullable<Transport["onmessage"]>;
      const wrapped: Transport["onmessage"] = (message, extra) => deliver(incoming(message), extra);
      return Reflect.set(target, property, wrapped, target);
    },
  });
}
