// Which upstream hosts a server may point at. Production refuses loopback,
// link-local (cloud metadata) and private-range literals so the registry cannot
// be used to reach the gateway's own network; local runs allow them because
// the demo backend and test servers live on 127.0.0.1. (DNS names that resolve
// to private addresses are the SSRF guard's job at fetch time, later.)
import type { FieldError } from "../http/errors.ts";

const PRIVATE_IPV4 = [
  /^127\./,
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^169\.254\./,
  /^0\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
];

export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal")) return true;
  if (PRIVATE_IPV4.some((pattern) => pattern.test(host))) return true;
  // IPv6 loopback, unspecified, unique-local (fc00::/7), link-local (fe80::/10), v4-mapped.
  return (
    host === "::1" ||
    host === "::" ||
    /^f[cd][0-9a-f]{2}:/.test(host) ||
    /^fe[89ab][0-9a-f]:/.test(host) ||
    host.startsWith("::ffff:")
  );
}

export function checkUpstreamUrls(urls: string[], allowPrivate: boolean): FieldError[] {
  if (allowPrivate) return [];
  const errors: FieldError[] = [];
  urls.forEach((url, index) => {
    if (isPrivateHost(new URL(url).hostname)) {
      errors.push({
        field: `endpoints.${index}.url`,
        message: "private, loopback and link-local hosts are not allowed",
      });
    }
  });
  return errors;
}
