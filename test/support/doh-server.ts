// A DNS-over-HTTPS (JSON API) server on loopback for the egress guard's tests:
// the production resolver adapter (worker/upstream/host-resolver.ts DohResolver)
// talks to it exactly as to https://cloudflare-dns.com/dns-query. The table
// maps test names to answers, including names that resolve to loopback,
// private and metadata addresses (DNS rebinding targets).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

type Record_ = { type: 1 | 5 | 28; data: string };

/** Names (lower case, no trailing dot) -> answers; absent: NXDOMAIN. "servfail.test" answers status 2. */
export const DOH_TABLE: Record<string, Record_[]> = {
  "rebind.test": [{ type: 1, data: "127.0.0.1" }],
  "loopback-other.test": [{ type: 1, data: "127.53.0.1" }],
  "private10.test": [{ type: 1, data: "10.1.2.3" }],
  "private172.test": [{ type: 1, data: "172.20.0.5" }],
  "private192.test": [{ type: 1, data: "192.168.1.10" }],
  "metadata.test": [{ type: 1, data: "169.254.169.254" }],
  "cgnat.test": [{ type: 1, data: "100.100.100.100" }],
  "zero.test": [{ type: 1, data: "0.0.0.0" }],
  "v6loop.test": [{ type: 28, data: "::1" }],
  "v6ula.test": [{ type: 28, data: "fd00:ec2::254" }],
  "v6mapped.test": [{ type: 28, data: "::ffff:127.0.0.1" }],
  "v6nat64.test": [{ type: 28, data: "64:ff9b::a9fe:a9fe" }],
  "v6linklocal.test": [{ type: 28, data: "fe80::1" }],
  // One public and one private answer: the runtime may pick either, so the name is refused.
  "mixed.test": [
    { type: 1, data: "93.184.215.14" },
    { type: 28, data: "::1" },
  ],
  // A CNAME chain ending at a private address (answers carry the whole chain).
  "alias.test": [
    { type: 5, data: "inner.corp.test." },
    { type: 1, data: "192.168.50.5" },
  ],
  "public.test": [
    { type: 1, data: "93.184.215.14" },
    { type: 28, data: "2606:2800:21f:cb07:6820:80da:af6b:8b2c" },
  ],
};

declare module "vitest" {
  export interface ProvidedContext {
    /** The DoH JSON endpoint (`http://127.0.0.1:port/dns-query`). */
    doh: string;
  }
}

export async function startDohServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const name = (url.searchParams.get("name") ?? "").toLowerCase().replace(/\.+$/, "");
    const type = Number(url.searchParams.get("type"));
    response.setHeader("content-type", "application/dns-json");
    if (url.pathname !== "/dns-query" || !name) {
      response.statusCode = 400;
      response.end("{}");
      return;
    }
    if (name === "servfail.test") {
      response.end(JSON.stringify({ Status: 2 }));
      return;
    }
    const records = DOH_TABLE[name];
    if (!records) {
      response.end(JSON.stringify({ Status: 3, Question: [{ name, type }] }));
      return;
    }
    // Like real resolvers: the CNAME chain, then the records of the asked type.
    const answers = records
      .filter((record) => record.type === 5 || record.type === type)
      .map((record) => ({ name, type: record.type, TTL: 60, data: record.data }));
    const finals = answers.filter((answer) => answer.type === type);
    response.end(
      JSON.stringify({ Status: 0, Question: [{ name, type }], Answer: finals.length > 0 ? answers : [] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/dns-query`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export default async function setup(project: { provide(key: "doh", value: string): void }) {
  const doh = await startDohServer();
  project.provide("doh", doh.url);
  return doh.close;
}
