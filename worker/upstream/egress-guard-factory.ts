// Builds the isolate's egress guard from configuration. One resolver cache
// per DNS-over-HTTPS endpoint and policy, shared by every bindings object of
// the isolate, so the TTL cache survives across requests.

import { EgressGuard } from "./guarded-fetch.ts";
import { CachingResolver, DohResolver } from "./host-resolver.ts";

const guards = new Map<string, EgressGuard>();

export function egressGuardFor(config: {
  allowPrivateUpstreams: boolean;
  egressDnsResolver: string;
}): EgressGuard {
  const key = `${config.allowPrivateUpstreams} ${config.egressDnsResolver}`;
  let guard = guards.get(key);
  if (guard === undefined) {
    guard = new EgressGuard({
      allowPrivate: config.allowPrivateUpstreams,
      resolver: new CachingResolver(new DohResolver(config.egressDnsResolver)),
    });
    guards.set(key, guard);
  }
  return guard;
}
