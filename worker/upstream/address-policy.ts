// Which upstream URLs the gateway may connect to when private upstreams are
// not allowed (production and self-hosted deployments). The host is judged
// in every spelling: IP literals in any form (worker/platform/ip-address.ts),
// names with trailing dots, names reserved for local use, and DNS names by
// every address they resolve to (one blocked answer refuses the name: the
// runtime may connect to any of them).
import { blockedAddress, parseIp } from "../platform/ip-address.ts";
import { canonicalName, type HostResolver, ResolverError } from "./host-resolver.ts";

/** Names that never leave the machine or the provider's network, whatever DNS says. */
const BLOCKED_NAMES = new Set(["localhost", "metadata.google.internal", "metadata", "instance-data"]);
/** Special-use and private-use suffixes (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal). */
const BLOCKED_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".localdomain"];

export interface AddressRefusal {
  /** Safe to show to the caller: names the host and the kind of range, never a resolved address. */
  reason: string;
}

/**
 * Null when `rawUrl` may be connected to, else why not. `resolver` is asked
 * only for DNS names; IP literals are judged directly.
 */
export async function checkUpstreamAddress(
  rawUrl: string,
  resolver: HostResolver,
): Promise<AddressRefusal | null> {
  const url = URL.parse(rawUrl);
  if (url === null) return { reason: "invalid URL" };
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { reason: `unsupported URL scheme ${url.protocol.replace(/:$/, "")}` };
  }
  const host = url.hostname;
  const literal = literalRefusal(host);
  if (literal !== undefined) return literal;
  const name = canonicalName(host);
  if (isBlockedName(name)) return { reason: `host ${name} is reserved for local use` };
  let addresses: string[];
  try {
    addresses = (await resolver.resolve(name)).addresses;
  } catch (error) {
    const detail = error instanceof ResolverError ? `: ${error.message}` : "";
    return { reason: `host ${name} could not be resolved${detail}` };
  }
  if (addresses.length === 0) return { reason: `host ${name} does not resolve` };
  for (const address of addresses) {
    const parsed = parseIp(address);
    if (parsed === null) return { reason: `host ${name} resolves to something that is not an address` };
    const kind = blockedAddress(parsed);
    if (kind !== null) return { reason: `host ${name} resolves to a ${kind} address` };
  }
  return null;
}

/** The refusal for an IP literal host, null for an allowed literal, undefined for a DNS name. */
function literalRefusal(host: string): AddressRefusal | null | undefined {
  const parsed = parseIp(host);
  if (parsed === null) return undefined;
  const kind = blockedAddress(parsed);
  return kind === null ? null : { reason: `${host} is a ${kind} address` };
}

export function isBlockedName(name: string): boolean {
  const canonical = canonicalName(name);
  return BLOCKED_NAMES.has(canonical) || BLOCKED_SUFFIXES.some((suffix) => canonical.endsWith(suffix));
}
