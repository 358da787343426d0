import { describe, expect, it } from "vitest";
import { checkUpstreamUrls, isPrivateHost } from "../../worker/registry/upstream-url-policy.ts";

describe("isPrivateHost", () => {
  it.each([
    "localhost",
    "api.localhost",
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "[::1]",
    "[fd00::1]",
    "[fe80::1]",
    "[::ffff:127.0.0.1]",
    "metadata.google.internal",
  ])("%s is private", (host) => {
    expect(isPrivateHost(host)).toBe(true);
  });

  it.each([
    "example.com",
    "8.8.8.8",
    "172.32.0.1",
    "172.15.0.1",
    "100.128.0.1",
    "[2606:4700::1111]",
    "localhost.example.com",
  ])("%s is public", (host) => {
    expect(isPrivateHost(host)).toBe(false);
  });
});

describe("checkUpstreamUrls", () => {
  it("names each private endpoint when private hosts are not allowed", () => {
    expect(checkUpstreamUrls(["https://ok.example/mcp", "http://127.0.0.1:8788/mcp"], false)).toEqual([
      { field: "endpoints.1.url", message: "private, loopback and link-local hosts are not allowed" },
    ]);
  });

  it("allows them when configured to", () => {
    expect(checkUpstreamUrls(["http://127.0.0.1:8788/mcp"], true)).toEqual([]);
  });
});
