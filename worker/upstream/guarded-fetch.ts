// The one fetch every upstream connection goes through (registration and
// refresh catalog reads, health checks, calls of /mcp and virtual servers,
// the per-server proxy, session clean-up, federation sources). With private
// upstreams allowed (local runs) it is the plain fetch. Otherwise every
// request is checked at the moment it is made, whatever was checked at
// registration: the URL's host must be a public address, or a DNS name all of
// whose A/AAAA answers are public (address-policy.ts). Redirects are never
// followed blindly: same-origin GET/HEAD redirects are followed after the
// same check, anything else is handed back unfollowed.
//
// What remains (docs/architecture.md "Upstream egress"): Workers' fetch
// resolves the name again itself, so a DNS answer that changes between the
// check and the connection (rebinding with a zero TTL) is not caught here;
// the connection cannot be pinned to the checked address without breaking
// TLS for names. On Cloudflare the platform itself does not route Workers'
// fetches to private networks, and `global_fetch_strictly_public` keeps them
// off same-zone shortcuts; on self-hosted workerd, firewall the host too.
import { type AddressRefusal, checkUpstreamAddress } from "./address-policy.ts";
import type { HostResolver } from "./host-resolver.ts";

/** Thrown by the guarded fetch instead of connecting; `message` is safe to show. */
export class EgressRefusedError extends Error {
  override readonly name = "EgressRefusedError";
  readonly refusal: AddressRefusal;
  constructor(refusal: AddressRefusal) {
    super(`upstream address not allowed: ${refusal.reason}`);
    this.refusal = refusal;
  }
}

export interface EgressGuardOptions {
  /** true: local runs, where upstreams live on loopback; nothing is checked. */
  allowPrivate: boolean;
  resolver: HostResolver;
  /** The fetch that finally connects (default: the global fetch). */
  fetch?: typeof fetch;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export class EgressGuard {
  readonly allowPrivate: boolean;
  private readonly resolver: HostResolver;
  /** The guarded global fetch: hand this to every upstream connection. */
  readonly fetch: typeof fetch;

  constructor(options: EgressGuardOptions) {
    this.allowPrivate = options.allowPrivate;
    this.resolver = options.resolver;
    // Bound, not wrapped in a closure: in local mode the guarded fetch is this very function,
    // so a request runs no code of this module.
    const base = options.fetch ?? fetch;
    this.fetch = this.wrap(base.bind(globalThis));
  }

  /** Null when `url` may be connected to now, else why not (never checks in local mode). */
  async check(url: string): Promise<AddressRefusal | null> {
    if (this.allowPrivate) return null;
    return checkUpstreamAddress(url, this.resolver);
  }

  /** `inner` behind the guard (for fetches that add tracing or observation of their own). */
  wrap(inner: typeof fetch): typeof fetch {
    if (this.allowPrivate) return inner;
    const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const request = new Request(input, init);
      let current = request;
      for (let hop = 0; ; hop += 1) {
        const refusal = await this.check(current.url);
        if (refusal !== null) throw new EgressRefusedError(refusal);
        const response = await inner(current, { redirect: "manual" });
        const next = redirectTarget(current, response);
        if (next === null || hop >= MAX_REDIRECTS) return response;
        await response.body?.cancel();
        current = new Request(next, current);
      }
    };
    return guarded as typeof fetch;
  }
}

/** Where to follow `response` to, or null to hand it back (not a redirect, or not a safe one). */
function redirectTarget(request: Request, response: Response): string | null {
  if (!REDIRECT_STATUSES.has(response.status)) return null;
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const location = response.headers.get("location");
  if (location === null) return null;
  const target = URL.parse(location, request.url);
  // Another origin would receive the egress credential: hand the redirect back instead.
  if (target === null || target.origin !== new URL(request.url).origin) return null;
  return target.toString();
}
