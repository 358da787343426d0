// A real local gateway for the benchmarks (Node-only): `wrangler dev` with a
// persistence directory of its own, restartable with other vars (ranking
// ablations) on the same data, and the few REST calls the benchmarks make.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devLogin, newDevSecrets } from "../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../scripts/local-gateway.ts";
import { freePort } from "../scripts/processes.ts";
import type { CorpusServer } from "./datasets.ts";

// Tokens name this as issuer and audience, so they survive restarts on other ports.
const PUBLIC_URL = "http://mcp-gateway.bench";

export interface SearchCall {
  names: string[];
  /** Measured by the client: request sent to body read. */
  clientMs: number;
  /** The gateway's own `server-timing` total. */
  serverMs: number;
  mode: string;
}

export class GatewaySession {
  private readonly secrets = newDevSecrets();
  private gateway: LocalGateway | null = null;
  private token = "";
  private persistDir = "";

  async start(vars: Record<string, string> = {}): Promise<void> {
    this.persistDir ||= await mkdtemp(join(tmpdir(), "mcp-gateway-bench-"));
    this.gateway = await startLocalGateway({
      port: await freePort(),
      persistDir: this.persistDir,
      secrets: { ...this.secrets },
      vars: { PUBLIC_URL, ...vars },
      timeoutMs: 120_000,
    });
    this.token = await devLogin(
      this.gateway.url,
      this.secrets.DEV_ADMIN_USERNAME,
      this.secrets.DEV_ADMIN_PASSWORD,
    );
  }

  /** Same data, new vars (e.g. SEARCH_RANKING_OFF), then a reindex so index-time settings apply. */
  async restart(vars: Record<string, string>): Promise<void> {
    await this.gateway?.stop();
    this.gateway = null;
    await this.start(vars);
    await this.reindex();
  }

  async stop(): Promise<void> {
    await this.gateway?.stop();
    this.gateway = null;
    if (this.persistDir) await rm(this.persistDir, { recursive: true, force: true });
    this.persistDir = "";
  }

  private get url(): string {
    if (!this.gateway) throw new Error("gateway not started");
    return this.gateway.url;
  }

  private async call(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json", ...init.headers },
      signal: AbortSignal.timeout(120_000),
    });
  }

  /** Registers every server (a few at a time); each registration reads the catalog over MCP. */
  async register(servers: CorpusServer[], endpoints: Map<string, string>, pathPrefix: string): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < servers.length) {
        const server = servers[next++] as CorpusServer;
        const response = await this.call("/servers", {
          method: "POST",
          body: JSON.stringify({
            name: server.name.slice(0, 200),
            description: server.description.slice(0, 4000),
            path: `${pathPrefix}-${server.slug}`.slice(0, 64).replace(/-+$/, ""),
            endpoints: [{ url: endpoints.get(server.slug) }],
          }),
        });
        const text = await response.text();
        if (response.status !== 201)
          throw new Error(`registering ${server.slug}: ${response.status} ${text}`);
        const body = JSON.parse(text) as { catalog: { status: string; error: string | null } };
        if (body.catalog.status !== "ok") throw new Error(`catalog of ${server.slug}: ${body.catalog.error}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  async reindex(): Promise<{ servers: number; documents: number; tookMs: number }> {
    const response = await this.call("/search/reindex", { method: "POST" });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`reindex: ${response.status} ${text}`);
    return JSON.parse(text) as { servers: number; documents: number; tookMs: number };
  }

  /** Client-side milliseconds of one GET /health: the HTTP floor under `wrangler dev`. */
  async health(): Promise<number> {
    const started = performance.now();
    const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(10_000) });
    await response.text();
    return performance.now() - started;
  }

  async search(query: string, limit: number, type = "tool"): Promise<SearchCall> {
    const params = new URLSearchParams({ q: query, type, limit: String(limit) });
    const started = performance.now();
    const response = await this.call(`/search?${params}`);
    const text = await response.text();
    const clientMs = performance.now() - started;
    if (response.status !== 200)
      throw new Error(`search "${query.slice(0, 60)}": ${response.status} ${text}`);
    const body = JSON.parse(text) as { mode: string; results: { name: string }[] };
    const timing = /total;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "");
    return {
      names: body.results.map((result) => result.name),
      clientMs,
      serverMs: timing ? Number(timing[1]) : Number.NaN,
      mode: body.mode,
    };
  }
}
