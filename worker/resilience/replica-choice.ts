// Choosing one replica among the usable candidates by the server's
// load-balancing strategy (the pure pickers live in balancer.ts).
import type { ServerRecord, UpstreamEndpoint } from "../store/registry-store.ts";
import {
  type Candidate,
  pickConsistentHash,
  pickLeastConnections,
  pickRandom,
  pickRoundRobin,
  pickWeighted,
} from "./balancer.ts";
import type { LeaseOptions } from "./lease-contract.ts";
import { identityKey } from "./rate-limit.ts";
import { localOf, nextRotation } from "./replica-state.ts";

// --- choosing ---------------------------------------------------------------

export interface Choice extends Candidate {
  endpoint: UpstreamEndpoint;
}

export function choose(server: ServerRecord, candidates: Choice[], options: LeaseOptions): Choice {
  const counter = nextRotation();
  switch (server.loadBalancing.strategy) {
    case "round-robin":
      return pickRoundRobin(candidates, counter);
    case "random":
      return pickRandom(candidates, Math.random);
    case "least-connections":
      return pickLeastConnections(candidates, (choice) => localOf(server.id, choice.url).inFlight, counter);
    case "consistent-hash": {
      const key =
        server.loadBalancing.hashOn === "session" && options.affinityKey
          ? options.affinityKey
          : identityKey(options.principal);
      return pickConsistentHash(candidates, key);
    }
    default:
      return pickWeighted(candidates, Math.random);
  }
}
