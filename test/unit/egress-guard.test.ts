// The egress guard's parts without the network: the IP parser in every
// spelling, the address policy with a table resolver (names mapped to
// loopback, private and metadata addresses), the guarded fetch (the inner
// fetch is never called for a refused URL; redirects), the resolver cache,
// and the Host allowlist matcher.
import { describe, expect, it } from "vitest";
import { isAllowedHost } from "../../worker/http/host-allowlist.ts";
import { blockedAddress, parseIPv4, parseIPv6, parseIp } from "../../worker/platform/ip-address.ts";
import { checkUpstreamUrls } from "../../worker/registry/upstream-url-policy.ts";
import { checkUpstreamAddress } from "../../worker/upstream/address-policy.ts";
import { EgressGuard, EgressRefusedError } from "../../worker/upstream/guarded-fetch.ts";
import { CachingResolver, type HostResolver, TableResolver } from "../../worker/upstream/host-resolver.ts";

const table = new TableResolver({
  "rebind.example": ["127.0.0.1"],
  "metadata.example": ["169.254.169.254"],
  "mixed.example": ["93.184.215.14", "fd00::1"],
  "public.example": ["93.184.215.14", "2606:4700::1111"],
  "v6.example": ["2606:4700:4700::1111"],
});

describe("IPv4 in every spelling", () => {
  it.each([
    ["127.0.0.1", 0x7f000001],
    ["127.1", 0x7f000001],
    ["2130706433", 0x7f000001],
    ["0x7f000001", 0x7f000001],
    ["0177.0.0.1", 0x7f000001],
    ["0x7f.0.0.1", 0x7f000001],
    ["127.0.1", 0x7f000001],
    ["127.0.0.1.", 0x7f000001],
    ["0", 0],
    ["169.254.43518", 0xa9fea9fe],
  ])("%s", (text, value) => {
    expect(parseIPv4(text)).toBe(value);
  });

  it.each(["256.0.0.1", "1.2.3.4.5", "example.com", "1.2.3.com", "0x", "08.0.0.1", ""])(
    "%s is not an address",
    (text) => {
      if (text === "0x") expect(parseIPv4(text)).toBe(0);
      else expect(parseIPv4(text)).toBeNull();
    },
  );
});

describe("IPv6", () => {
  it("parses compression, embedded IPv4 and brackets", () => {
    expect(parseIPv6("[::1]")?.[15]).toBe(1);
    expect(Array.from(parseIPv6("::ffff:127.0.0.1") ?? []).slice(10)).toEqual([255, 255, 127, 0, 0, 1]);
    expect(parseIPv6("fe80::1%eth0")?.[0]).toBe(0xfe);
    expect(parseIPv6("1::2::3")).toBeNull();
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIPv6("12345::")).toBeNull();
  });
});

describe("blocked ranges", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["10.9.8.7", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.251", "multicast"],
    ["240.1.2.3", "reserved"],
    ["198.51.100.7", "documentation"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["::ffff:10.0.0.1", "IPv4-mapped private"],
    ["::127.0.0.1", "IPv4-compatible"],
    ["64:ff9b::7f00:1", "NAT64 loopback"],
    ["64:ff9b:1::1", "NAT64 local-use"],
    ["2002:7f00:1::", "6to4"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"],
    ["fec0::1", "site-local"],
    ["fd00:ec2::254", "unique local"],
    ["fe80::1", "link-local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["100::1", "reserved"],
  ])("%s is %s", (text, kind) => {
    const parsed = parseIp(text);
    expect(parsed).not.toBeNull();
    expect(blockedAddress(parsed as NonNullable<typeof parsed>)).toContain(kind);
  });

  it.each([
    "8.8.8.8",
    "93.184.215.14",
    "172.32.0.1",
    "172.15.255.255",
    "100.128.0.1",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
  ])("%s is public", (text) => {
    const parsed = parseIp(text);
    expect(blockedAddress(parsed as NonNullable<typeof parsed>)).toBeNull();
  });
});

describe("checkUpstreamAddress", () => {
  it.each([
    "http://localhost/mcp",
    "http://localhost./mcp",
    "http://LOCALHOST.:8080/mcp",
    "http://a.b.localhost/mcp",
    "http://metadata.google.internal./computeMetadata/v1/",
    "http://nas.local/mcp",
    "http://router.home.arpa/mcp",
    "http://rebind.example/mcp",
    "http://rebind.example./mcp",
    "http://REBIND.EXAMPLE/mcp",
    "http://metadata.example/latest",
    "http://mixed.example/mcp",
    "http://unknown.example/mcp",
    "http://0x7f.1/mcp",
    "http://[::ffff:7f00:1]/mcp",
    "ftp://public.example/mcp",
  ])("refuses %s", async (url) => {
    const refusal = await checkUpstreamAddress(url, table);
    expect(refusal).not.toBeNull();
    // The reason names the host and the kind of range, never a resolved address.
    if (url.toLowerCase().includes("rebind")) expect(refusal?.reason).not.toContain("127.0.0.1");
  });

  it.each([
    "https://public.example/mcp",
    "https://public.example./mcp",
    "https://v6.example/mcp",
    "https://93.184.215.14/mcp",
    "https://[2606:4700::1111]/mcp",
  ])("allows %s", async (url) => {
    expect(await checkUpstreamAddress(url, table)).toBeNull();
  });

  it("fails closed when the resolver cannot answer", async () => {
    const broken: HostResolver = {
      resolve: () => Promise.reject(new Error("socket hang up at 10.0.0.53")),
    };
    const refusal = await checkUpstreamAddress("https://public.example/mcp", broken);
    expect(refusal?.reason).toBe("host public.example could not be resolved");
  });

  it("registration errors name the URL field", async () => {
    const guard = new EgressGuard({ allowPrivate: false, resolver: table });
    const errors = await checkUpstreamUrls(
      ["https://public.example/mcp", "http://rebind.example/mcp"],
      (url) => guard.check(url),
    );
    expect(errors).toEqual([
      {
        field: "endpoints.1.url",
        message: expect.stringContaining("host rebind.example resolves to a loopback address"),
      },
    ]);
  });
});

function recorder(answers: Record<string, Response> = {}) {
  const seen: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    const url = input instanceof Request ? input.url : String(input);
    seen.push(url);
    return answers[url]?.clone() ?? new Response("ok");
  }) as typeof fetch;
  return { seen, fetchFn };
}

describe("EgressGuard", () => {
  it("never calls the inner fetch for a refused URL, and calls it for an allowed one", async () => {
    const { seen, fetchFn } = recorder();
    const guard = new EgressGuard({ allowPrivate: false, resolver: table, fetch: fetchFn });
    await expect(guard.fetch("http://rebind.example/mcp", { method: "POST", body: "{}" })).rejects.toThrow(
      EgressRefusedError,
    );
    await expect(guard.fetch(new Request("http://[::1]/mcp"))).rejects.toThrow(/loopback/);
    expect(seen).toEqual([]);
    const response = await guard.fetch("https://public.example/mcp", { method: "POST", body: "{}" });
    expect(await response.text()).toBe("ok");
    expect(seen).toEqual(["https://public.example/mcp"]);
  });

  it("local mode (private upstreams allowed) is the plain fetch", async () => {
    const { seen, fetchFn } = recorder();
    const guard = new EgressGuard({ allowPrivate: true, resolver: table, fetch: fetchFn });
    await guard.fetch("http://127.0.0.1:9/mcp");
    expect(seen).toEqual(["http://127.0.0.1:9/mcp"]);
    expect(await guard.check("http://127.0.0.1:9/mcp")).toBeNull();
  });

  it("follows a same-origin GET redirect after checking it; hands back others unfollowed", async () => {
    const { seen, fetchFn } = recorder({
      "https://public.example/a": new Response(null, { status: 302, headers: { location: "/b" } }),
      "https://public.example/c": new Response(null, {
        status: 307,
        headers: { location: "http://rebind.example/d" },
      }),
      "https://public.example/e": new Response(null, { status: 308, headers: { location: "/f" } }),
    });
    const guard = new EgressGuard({ allowPrivate: false, resolver: table, fetch: fetchFn });
    expect(await (await guard.fetch("https://public.example/a")).text()).toBe("ok");
    expect(seen).toEqual(["https://public.example/a", "https://public.example/b"]);
    // Cross-origin (here: to a loopback name): not followed.
    const cross = await guard.fetch("https://public.example/c");
    expect(cross.status).toBe(307);
    // POST redirects are never followed (the body would be sent again).
    const post = await guard.fetch("https://public.example/e", { method: "POST", body: "{}" });
    expect(post.status).toBe(308);
    expect(seen).not.toContain("http://rebind.example/d");
    expect(seen).not.toContain("https://public.example/f");
  });
});

describe("CachingResolver", () => {
  it("keeps a finished lookup per name for its TTL, never shares one in flight, forgets failures", async () => {
    let calls = 0;
    let fail = false;
    const inner: HostResolver = {
      async resolve(name) {
        calls += 1;
        if (fail) throw new Error("down");
        return { addresses: [name === "a.example" ? "1.2.3.4" : "5.6.7.8"], ttlSeconds: 10 };
      },
    };
    let now = 0;
    const cache = new CachingResolver(inner, () => now);
    // Concurrent misses each look up (under workerd, awaiting another request's lookup is unsafe).
    await Promise.all([cache.resolve("a.example"), cache.resolve("A.EXAMPLE.")]);
    expect(calls).toBe(2);
    await Promise.all([cache.resolve("a.example"), cache.resolve("A.EXAMPLE.")]);
    expect(calls).toBe(2);
    now = 10_001;
    fail = true;
    await expect(cache.resolve("a.example")).rejects.toThrow("down");
    fail = false;
    expect((await cache.resolve("a.example")).addresses).toEqual(["1.2.3.4"]);
    expect(calls).toBe(4);
  });
});

describe("isAllowedHost", () => {
  const allowed = ["mcp.example.com", "localhost:8787", "[::1]:8787"];
  it.each([
    ["mcp.example.com", true],
    ["MCP.example.com.", true],
    ["mcp.example.com:443", true],
    ["localhost:8787", true],
    ["[::1]:8787", true],
    ["localhost:9999", false],
    ["localhost", false],
    ["evil.example", false],
    ["mcp.example.com.evil.example", false],
    ["", false],
  ])("%s -> %s", (host, expected) => {
    expect(isAllowedHost(host, allowed)).toBe(expected);
  });
});
