// Connects the registry to the ServerState Durable Objects: the port that
// ServerService uses for refresh and live state, and the observer that starts
// health checks when a server is saved and drops the state when it is deleted.

import { serverStateStub } from "../platform/durable-objects.ts";
import { effectiveHealthCheck, type ResilienceConfig } from "../resilience/settings.ts";
import { serverRef } from "../resilience/state-types.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import type { RegistryObserver, ServerStatePort } from "./server-service.ts";

function stateStub(env: Env, serverId: string) {
  return serverStateStub(env, serverId);
}

export function serverStatePort(env: Env): ServerStatePort {
  return {
    async refreshNow(server) {
      await stateStub(env, server.id).refresh(serverRef(server));
    },
    async describe(server) {
      return stateStub(env, server.id).describe(serverRef(server));
    },
  };
}

export function serverStateObserver(env: Env, settings: ResilienceConfig): RegistryObserver {
  return {
    async serverSaved(server: ServerRecord) {
      const interval = effectiveHealthCheck(server, settings).intervalSeconds;
      await stateStub(env, server.id).track(serverRef(server), interval);
    },
    async serverDeleted(_tenant: string, id: string) {
      await stateStub(env, id).forget();
    },
  };
}
