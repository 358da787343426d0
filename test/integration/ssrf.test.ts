// SSRF closed at connection time (issue 14): with production policy
// (ALLOW_PRIVATE_UPSTREAMS=false) and the real DNS-over-HTTPS resolver
// adapter talking to a loopback DoH server (test/support/doh-server.ts, where
// e.g. rebind.test resolves to 127.0.0.1), a table of 50+ upstream URLs is
// refused at registration (422 naming the URL field) AND when a connection
// is made: proxy calls on /{path}/mcp for servers stored before the policy,
// health checks and catalog reads. A server registered in local mode (a real
// loopback MCP replica that counts requests) is refused on /{path}/mcp, /mcp,
// refresh and health checks once production policy applies, and the replica
// never sees a request. Public addresses stay allowed. ALLOWED_HOSTS refuses
// other Host headers with 421.
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { ServerState } from "../../durable-objects/server-state.ts";
import { buildApp } from "../../worker/app.ts";
import { serverStateName } from "../../worker/platform/durable-objects.ts";
import { checkUpstreamUrls } from "../../worker/registry/upstream-url-policy.ts";
import type { ServerStateView } from "../../worker/resilience/state-types.ts";
import { getServices, servicesFor } from "../../worker/services.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { EgressGuard } from "../../worker/upstream/guarded-fetch.ts";
import { probeReplica } from "../../worker/upstream/health-probe.ts";
import { DohResolver } from "../../worker/upstream/host-resolver.ts";
import { adminHeaders, api, BASE, type Problem, uniquePath } from "../support/api.ts";
import { forEachConcurrently } from "../support/concurrency.ts";
import { newReplica, registerOn, stats } from "../support/fleet.ts";
import { messagesOf, rpc } from "../support/mcp-http.ts";

const doh = inject("doh");

/** The same bindings in production policy, resolving through the loopback DoH server. */
const production = {
  ...env,
  ALLOW_PRIVATE_UPSTREAMS: "false",
  EGRESS_DNS_RESOLVER: doh,
} as Env;
const app = buildApp();

async function call(bindings: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${BASE}${path}`, init), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Refused URLs checked at once (each case is an independent request). */
const LANES = 8;

/** 57 spellings of loopback, private, link-local, CGNAT, multicast, broadcast, reserved and metadata. */
const REFUSED = [
  // IPv4 literals in every spelling the URL parser accepts.
  "http://127.0.0.1:8080/mcp",
  "http://127.1/mcp",
  "http://2130706433/mcp",
  "http://0x7f000001/mcp",
  "http://0177.0.0.1/mcp",
  "http://0x7f.0.0.1/mcp",
  "http://127.0.0.1./mcp",
  "http://10.0.0.1/mcp",
  "http://172.16.5.4/mcp",
  "http://192.168.0.1/mcp",
  "http://169.254.169.254/latest/meta-data/",
  "http://169.254.43518/mcp",
  "http://100.64.0.1/mcp",
  "http://0.0.0.0/mcp",
  "http://0/mcp",
  "http://255.255.255.255/mcp",
  "http://224.0.0.1/mcp",
  "http://240.0.0.1/mcp",
  "http://192.0.2.1/mcp",
  "http://198.18.0.1/mcp",
  // IPv6 literals: loopback, unspecified, mapped, compatible, NAT64, 6to4, Teredo, site-local, ULA, ...
  "http://[::1]/mcp",
  "http://[::]/mcp",
  "http://[::ffff:127.0.0.1]/mcp",
  "http://[::ffff:7f00:1]/mcp",
  "http://[::ffff:169.254.169.254]/mcp",
  "http://[::127.0.0.1]/mcp",
  "http://[64:ff9b::127.0.0.1]/mcp",
  "http://[64:ff9b::a9fe:a9fe]/mcp",
  "http://[2002:7f00:1::1]/mcp",
  "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/mcp",
  "http://[fec0::1]/mcp",
  "http://[fd00:ec2::254]/mcp",
  "http://[fc00::1]/mcp",
  "http://[fe80::1]/mcp",
  "http://[ff02::1]/mcp",
  "http://[2001:db8::1]/mcp",
  // Names reserved for local use, with and without trailing dots.
  "http://localhost:8080/mcp",
  "http://localhost./mcp",
  "http://LOCALHOST/mcp",
  "http://api.localhost/mcp",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://metadata.google.internal./computeMetadata/v1/",
  "http://printer.local/mcp",
  // DNS names that resolve there (through the DoH resolver).
  "http://rebind.test/mcp",
  "http://rebind.test./mcp",
  "https://REBIND.test:8443/mcp",
  "http://loopback-other.test/mcp",
  "https://private10.test/mcp",
  "https://private172.test/mcp",
  "https://private192.test/mcp",
  "http://metadata.test/latest/meta-data/",
  "http://cgnat.test/mcp",
  "http://zero.test/mcp",
  "http://v6loop.test/mcp",
  "http://v6ula.test/mcp",
  "http://v6mapped.test/mcp",
  "http://v6nat64.test/mcp",
  "http://v6linklocal.test/mcp",
  "http://mixed.test/mcp",
  "http://alias.test/mcp",
  "http://nxdomain.test/mcp",
  "http://servfail.test/mcp",
];

describe("registration in production policy", () => {
  it(`refuses every one of ${REFUSED.length} URLs with 422 naming endpoints.0.url`, async () => {
    expect(REFUSED.length).toBeGreaterThanOrEqual(40);
    const headers = await adminHeaders({ "content-type": "application/json" });
    await forEachConcurrently(REFUSED, LANES, async (url) => {
      const path = uniquePath("ssrf");
      const response = await call(production, "/api/v1/servers", {
        method: "POST",
        headers,
        body: JSON.stringify({ name: path, path, endpoints: [{ url }] }),
      });
      expect(response.status, url).toBe(422);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as Problem;
      expect(
        problem.errors?.map((error) => error.field),
        url,
      ).toEqual(["endpoints.0.url"]);
      expect(problem.errors?.[0]?.message, url).toMatch(/not allowed: /);
      // Nothing was stored.
      expect(await getServices(env).store.getServerByPath(path)).toBeNull();
    });
    // Sixty-odd registrations: on a loaded CI machine this outlasts the default 30 s.
  }, 180_000);

  it("refuses a federation source on such a host, naming url", async () => {
    const headers = await adminHeaders({ "content-type": "application/json" });
    const response = await call(production, "/api/v1/federation/sources", {
      method: "POST",
      headers,
      body: JSON.stringify({ name: uniquePath("src"), url: "http://rebind.test" }),
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as Problem).errors?.map((error) => error.field)).toEqual(["url"]);
  });

  it("allows public addresses and names that resolve only to public addresses", async () => {
    const services = getServices(production);
    const allowed = [
      "https://public.test/mcp",
      "https://public.test./mcp",
      "https://93.184.215.14/mcp",
      "https://[2606:4700:4700::1111]/mcp",
      "https://[::ffff:93.184.215.14]/mcp",
    ];
    expect(await checkUpstreamUrls(allowed, (url) => services.egress.check(url))).toEqual([]);
  });
});

describe("connection time in production policy", () => {
  const services = () => getServices(production);

  it("every refused URL: the guarded fetch never connects, the health check fails with the reason", async () => {
    const seen: string[] = [];
    const guard = new EgressGuard({
      allowPrivate: false,
      resolver: new DohResolver(doh),
      fetch: (async (input: Request | string | URL) => {
        seen.push(String(input instanceof Request ? input.url : input));
        return new Response("reached");
      }) as typeof fetch,
    });
    await forEachConcurrently(REFUSED, LANES, async (url) => {
      await expect(guard.fetch(url, { method: "POST", body: "{}" }), url).rejects.toThrow(
        /upstream address not allowed/,
      );
      const check = await probeReplica(
        { url, transport: "streamable-http" },
        { url, timeoutMs: 5_000, fetch: services().egress.fetch },
      );
      expect(check.ok, url).toBe(false);
      expect(check.error, url).toMatch(/upstream address not allowed/);
    });
    expect(seen).toEqual([]);
    // The same guard lets a public name through to the connection.
    await guard.fetch("https://public.test/mcp");
    expect(seen).toEqual(["https://public.test/mcp"]);
  });

  it("servers stored before the policy: /{path}/mcp answers 502 with a JSON-RPC error naming the refusal", async () => {
    const template = await registerOn([await newReplica()]);
    const token = (await adminHeaders()).authorization as string;
    await forEachConcurrently(REFUSED, LANES, async (url) => {
      const record: ServerRecord = {
        ...template,
        id: crypto.randomUUID(),
        path: uniquePath("old"),
        registryName: null,
        endpoints: [{ ...(template.endpoints[0] as ServerRecord["endpoints"][number]), url }],
      };
      await services().store.insertServer(record, []);
      const response = await initialize(production, record.path, token);
      expect(response.status, url).toBe(502);
      const [reply] = await messagesOf(response);
      expect(reply?.error?.code, url).toBe(-32010);
      expect(reply?.error?.message, url).toMatch(/^Upstream refused: upstream address not allowed: /);
    });
  }, 180_000);
});

describe("a server registered in local mode, once production policy applies", () => {
  let server: ServerRecord;
  let token: string;
  let before: number;
  let afterLocal: number;
  const replicaOf: { id: string; url: string; port: number }[] = [];

  beforeAll(async () => {
    const replica = await newReplica();
    replicaOf.push(replica);
    // Local mode (the test bindings allow private upstreams): registered, catalog read.
    server = await registerOn([replica]);
    expect(server.catalog.status).toBe("ok");
    token = (await adminHeaders()).authorization as string;
    before = (await stats(replica)).requests;
  });

  it("is refused on /{path}/mcp", async () => {
    const response = await initialize(production, server.path, token);
    expect(response.status).toBe(502);
    const [reply] = await messagesOf(response);
    expect(reply?.error?.message).toBe(
      "Upstream refused: upstream address not allowed: 127.0.0.1 is a loopback address",
    );
  });

  it("is refused on /mcp (tools/call)", async () => {
    const name = `${server.path}__whoami`;
    const response = await call(production, "/mcp", {
      method: "POST",
      headers: {
        authorization: token,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": name,
      },
      body: JSON.stringify(
        rpc("tools/call", {
          name,
          arguments: {},
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": { name: "ssrf-test", version: "1" },
          },
        }),
      ),
    });
    const [reply] = await messagesOf(response);
    expect(reply?.error?.code).toBe(-32010);
    expect(reply?.error?.message).toMatch(/upstream address not allowed: 127\.0\.0\.1 is a loopback address/);
  });

  it("is refused on a catalog refresh and a health check", async () => {
    const refreshed = await getServices(production).servers.refreshCatalogFor(server.tenant, server.id);
    expect(refreshed).not.toBeNull();
    const stored = await getServices(production).store.getServer(server.tenant, server.id);
    expect(stored?.catalog.status).toBe("unreachable");
    expect(stored?.catalog.error).toMatch(/upstream address not allowed/);
    const url = server.endpoints[0]?.url as string;
    const check = await probeReplica(
      { url, transport: "streamable-http" },
      { url, timeoutMs: 5_000, fetch: getServices(production).egress.fetch },
    );
    expect(check).toMatchObject({ ok: false });
    expect(check.error).toMatch(/127\.0\.0\.1 is a loopback address/);
  });

  it("the replica never saw a request in production policy, and local mode still reaches it", async () => {
    const replica = replicaOf[0] as { id: string; url: string; port: number };
    expect((await stats(replica)).requests).toBe(before);
    const local = await initialize(env, server.path, token);
    expect(local.status).toBe(200);
    afterLocal = (await stats(replica)).requests;
    expect(afterLocal).toBeGreaterThan(before);
  });

  it("is refused by the ServerState object's scheduled health check", async () => {
    const object = env.SERVER_STATE.get(env.SERVER_STATE.idFromName(serverStateName(server.id)));
    // The object composes once from its own bindings; here it composes with production policy.
    await runInDurableObject(object, (instance: ServerState) => {
      (instance as unknown as { composition: unknown }).composition = servicesFor(production);
    });
    expect(await runDurableObjectAlarm(object)).toBe(true);
    const view = await (await api(`/api/v1/servers/${server.id}/health`)).json<ServerStateView>();
    expect(view.history[0]).toMatchObject({ status: "unhealthy", trigger: "schedule" });
    expect(view.history[0]?.replicas[0]?.error).toMatch(
      /upstream address not allowed: 127\.0\.0\.1 is a loopback address/,
    );
    // Counted before the local-mode request of the previous test: that one only.
    const replica = replicaOf[0] as { id: string; url: string; port: number };
    expect((await stats(replica)).requests).toBe(afterLocal);
  });
});

describe("ALLOWED_HOSTS", () => {
  const pinned = { ...env, ALLOWED_HOSTS: "gateway.test, mcp.example.com" } as Env;

  it("refuses another Host with 421 problem+json naming Host; the listed ones pass", async () => {
    const headers = await adminHeaders();
    const refused = await app.fetch(
      new Request("http://rebound.example/api/v1/servers", { headers }),
      pinned,
      createExecutionContext(),
    );
    expect(refused.status).toBe(421);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(((await refused.json()) as Problem).errors).toEqual([
      { field: "Host", message: "not an allowed host" },
    ]);
    const mcp = await app.fetch(
      new Request("http://rebound.example/mcp", { method: "POST" }),
      pinned,
      createExecutionContext(),
    );
    expect(mcp.status).toBe(421);
    expect((await call(pinned, "/api/v1/servers", { headers })).status).toBe(200);
    // Unset: every Host is answered.
    const open = await app.fetch(
      new Request("http://rebound.example/api/v1/servers", { headers }),
      env,
      createExecutionContext(),
    );
    expect(open.status).toBe(200);
  });
});

/** An MCP initialize on /{path}/mcp as the caller with `token` ("Bearer ..."). */
function initialize(bindings: Env, path: string, token: string): Promise<Response> {
  return call(bindings, `/${path}/mcp`, {
    method: "POST",
    headers: {
      authorization: token,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify(
      rpc("initialize", {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "ssrf-test", version: "1" },
      }),
    ),
  });
}
