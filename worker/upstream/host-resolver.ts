// The resolver port of the egress guard. Workers' fetch resolves names
// itself and cannot tell the caller what it connected to, so the guard asks
// a resolver first and judges every A and AAAA answer. Production resolves
// with DNS-over-HTTPS (the JSON API of e.g. https://cloudflare-dns.com/dns-query);
// tests inject a table. Answers are cached per isolate for their TTL (at
// most MAX_CACHE_SECONDS), so a busy upstream costs one lookup per TTL.

export interface Resolution {
  /** Every A and AAAA answer (textual addresses); empty when the name does not exist. */
  addresses: string[];
  /** How long the answer may be reused. */
  ttlSeconds: number;
}

export interface HostResolver {
  /** Throws ResolverError when the resolver cannot answer (the guard then refuses). */
  resolve(name: string): Promise<Resolution>;
}

export class ResolverError extends Error {
  override readonly name = "ResolverError";
}

const A = 1;
const AAAA = 28;
const MAX_CACHE_SECONDS = 300;
const MAX_CACHED_NAMES = 1_000;

interface DohAnswer {
  type?: unknown;
  data?: unknown;
  TTL?: unknown;
}

/** DNS-over-HTTPS, JSON form (`application/dns-json`): one GET per record type. */
export class DohResolver implements HostResolver {
  private readonly endpoint: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(endpoint: string, options: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.endpoint = endpoint;
    // The resolver is configuration, not an upstream: plain fetch (called as a function for workerd).
    const base = options.fetch ?? fetch;
    this.fetchFn = (input, init) => base(input, init);
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async resolve(name: string): Promise<Resolution> {
    const [v4, v6] = await Promise.all([this.query(name, A), this.query(name, AAAA)]);
    const addresses = [...v4.addresses, ...v6.addresses];
    return { addresses, ttlSeconds: Math.min(v4.ttlSeconds, v6.ttlSeconds) };
  }

  private async query(name: string, type: number): Promise<Resolution> {
    const url = new URL(this.endpoint);
    url.searchParams.set("name", name);
    url.searchParams.set("type", String(type));
    let body: { Status?: unknown; Answer?: unknown };
    try {
      const response = await this.fetchFn(url.toString(), {
        headers: { accept: "application/dns-json" },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new ResolverError(`the DNS resolver answered HTTP ${response.status}`);
      }
      body = (await response.json()) as typeof body;
    } catch (error) {
      if (error instanceof ResolverError) throw error;
      throw new ResolverError("the DNS resolver could not be reached");
    }
    // 0 NOERROR, 3 NXDOMAIN; anything else (SERVFAIL, REFUSED) is no answer at all.
    if (body.Status === 3) return { addresses: [], ttlSeconds: 30 };
    if (body.Status !== 0) throw new ResolverError(`the DNS resolver answered status ${String(body.Status)}`);
    const answers = Array.isArray(body.Answer) ? (body.Answer as DohAnswer[]) : [];
    const matching = answers.filter((answer) => answer.type === type && typeof answer.data === "string");
    const ttls = matching.map((answer) => (typeof answer.TTL === "number" ? answer.TTL : 0));
    return {
      addresses: matching.map((answer) => answer.data as string),
      ttlSeconds: ttls.length > 0 ? Math.min(...ttls) : 30,
    };
  }
}

/** A fixed table (tests, or a self-hosted deployment's own names); unknown names do not exist. */
export class TableResolver implements HostResolver {
  private readonly table: Map<string, string[]>;

  constructor(table: Record<string, string[]>) {
    this.table = new Map(Object.entries(table).map(([name, addresses]) => [canonicalName(name), addresses]));
  }

  async resolve(name: string): Promise<Resolution> {
    return { addresses: this.table.get(canonicalName(name)) ?? [], ttlSeconds: 60 };
  }
}

/**
 * Keeps answers per isolate for their TTL. Only finished lookups are kept: concurrent misses
 * each look up, because under workerd a request awaiting a lookup another request started would
 * resume in that request's I/O context. Failures are not kept.
 */
export class CachingResolver implements HostResolver {
  private readonly entries = new Map<string, { expires: number; answer: Resolution }>();
  private readonly inner: HostResolver;
  private readonly now: () => number;

  constructor(inner: HostResolver, now: () => number = Date.now) {
    this.inner = inner;
    this.now = now;
  }

  async resolve(name: string): Promise<Resolution> {
    const key = canonicalName(name);
    const cached = this.entries.get(key);
    if (cached && cached.expires > this.now()) return cached.answer;
    const answer = await this.inner.resolve(key);
    if (!this.entries.has(key) && this.entries.size >= MAX_CACHED_NAMES) this.entries.clear();
    const seconds = Math.min(MAX_CACHE_SECONDS, Math.max(0, answer.ttlSeconds));
    this.entries.set(key, { expires: this.now() + seconds * 1000, answer });
    return answer;
  }
}

/** Lower case without the trailing dot(s) of a fully qualified name. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.+$/, "");
}
