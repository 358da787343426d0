// IP address literals and the ranges an upstream connection must never reach.
// Pure (imports nothing), so the registration check, the guarded fetch and
// the tests share one parser. IPv4 accepts every spelling the WHATWG URL
// parser and inet_aton accept (decimal, octal, hex, 1-4 parts: `2130706433`,
// `0x7f.1`, `0177.0.0.1`), so no spelling of an address slips past by form.
// IPv6 accepts `::` compression, an embedded dotted IPv4 tail and brackets.

export type IpAddress = { version: 4; value: number } | { version: 6; bytes: Uint8Array };

/** A parsed IPv4 address (uint32), or null when `text` is not one in any spelling. */
export function parseIPv4(text: string): number | null {
  const trimmed = text.endsWith(".") ? text.slice(0, -1) : text;
  if (trimmed === "") return null;
  const parts = trimmed.split(".");
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIPv4Part(part);
    if (value === null) return null;
    numbers.push(value);
  }
  const last = numbers.pop() as number;
  // Leading parts are one byte each; the last fills the remaining bytes.
  if (numbers.some((value) => value > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  let result = 0;
  for (const [index, value] of numbers.entries()) result += value * 256 ** (3 - index);
  return result + last;
}

function parseIPv4Part(part: string): number | null {
  if (part === "") return null;
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(part)) {
    digits = part.slice(2);
    radix = 16;
    if (digits === "") return 0;
  } else if (part.length > 1 && part.startsWith("0")) {
    digits = part.slice(1);
    radix = 8;
  }
  const pattern = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return null;
  const value = Number.parseInt(digits, radix);
  return Number.isSafeInteger(value) ? value : null;
}

/** A parsed IPv6 address (16 bytes), or null. Brackets and a zone id (`%eth0`) are accepted. */
export function parseIPv6(text: string): Uint8Array | null {
  let host = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = host.indexOf("%");
  if (zone >= 0) host = host.slice(0, zone);
  if (!host.includes(":")) return null;
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function groupsOf(text: string): number[] | null {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (index === parts.length - 1 && part.includes(".")) {
      // A dotted IPv4 tail (`::ffff:127.0.0.1`): strictly four decimal parts.
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(part)) return null;
      const octets = part.split(".").map(Number);
      if (octets.some((octet) => octet > 255)) return null;
      const [a, b, c, d] = octets as [number, number, number, number];
      groups.push((a << 8) | b, (c << 8) | d);
      continue;
    }
    if (!/^[0-9a-f]{1,4}$/i.test(part)) return null;
    groups.push(Number.parseInt(part, 16));
  }
  return groups;
}

/** `text` as an IP address in any accepted spelling, or null for a host name. */
export function parseIp(text: string): IpAddress | null {
  const v6 = parseIPv6(text);
  if (v6 !== null) return { version: 6, bytes: v6 };
  // A name whose last label is not numeric is a DNS name, not an IPv4 spelling.
  const v4 = parseIPv4(text);
  return v4 === null ? null : { version: 4, value: v4 };
}

interface Range4 {
  base: number;
  bits: number;
  kind: string;
}

// IANA IPv4 special-purpose registry: everything not globally reachable.
const BLOCKED_V4: Range4[] = [
  { base: ip4(0, 0, 0, 0), bits: 8, kind: "unspecified ('this network')" },
  { base: ip4(10, 0, 0, 0), bits: 8, kind: "private (RFC 1918)" },
  { base: ip4(100, 64, 0, 0), bits: 10, kind: "carrier-grade NAT (100.64.0.0/10)" },
  { base: ip4(127, 0, 0, 0), bits: 8, kind: "loopback" },
  { base: ip4(169, 254, 0, 0), bits: 16, kind: "link-local (cloud metadata)" },
  { base: ip4(172, 16, 0, 0), bits: 12, kind: "private (RFC 1918)" },
  { base: ip4(192, 0, 0, 0), bits: 24, kind: "reserved (IETF protocol assignments)" },
  { base: ip4(192, 0, 2, 0), bits: 24, kind: "reserved (documentation)" },
  { base: ip4(192, 88, 99, 0), bits: 24, kind: "reserved (6to4 relay anycast)" },
  { base: ip4(192, 168, 0, 0), bits: 16, kind: "private (RFC 1918)" },
  { base: ip4(198, 18, 0, 0), bits: 15, kind: "reserved (benchmarking)" },
  { base: ip4(198, 51, 100, 0), bits: 24, kind: "reserved (documentation)" },
  { base: ip4(203, 0, 113, 0), bits: 24, kind: "reserved (documentation)" },
  { base: ip4(224, 0, 0, 0), bits: 4, kind: "multicast" },
  { base: ip4(255, 255, 255, 255), bits: 32, kind: "broadcast" },
  { base: ip4(240, 0, 0, 0), bits: 4, kind: "reserved (240.0.0.0/4)" },
];

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

function inRange4(value: number, range: Range4): boolean {
  const size = 2 ** (32 - range.bits);
  return value >= range.base && value < range.base + size;
}

/** Why an upstream may not use `value` (an IPv4 address), or null when it is globally reachable. */
export function blockedIPv4(value: number): string | null {
  return BLOCKED_V4.find((range) => inRange4(value, range))?.kind ?? null;
}

function prefix(bytes: Uint8Array, pattern: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 1) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((bytes[byte] as number) & mask) !== ((pattern[byte] ?? 0) & mask)) return false;
  }
  return true;
}

function embeddedV4(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] as number) * 2 ** 24 +
    ((bytes[offset + 1] as number) << 16) +
    ((bytes[offset + 2] as number) << 8) +
    (bytes[offset + 3] as number)
  );
}

/**
 * Why an upstream may not use `bytes` (an IPv6 address), or null when it is
 * globally reachable. Only global unicast (2000::/3) passes, minus the
 * tunnelling and documentation ranges inside it; IPv4-mapped and the NAT64
 * well-known prefix are judged by the IPv4 address they carry.
 */
export function blockedIPv6(bytes: Uint8Array): string | null {
  if (bytes.every((byte) => byte === 0)) return "unspecified (::)";
  if (prefix(bytes, [], 127) && bytes[15] === 1) return "loopback (::1)";
  if (prefix(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96)) {
    const inner = blockedIPv4(embeddedV4(bytes, 12));
    return inner === null ? null : `IPv4-mapped ${inner}`;
  }
  if (prefix(bytes, [], 96)) return "IPv4-compatible IPv6 (deprecated ::/96)";
  if (prefix(bytes, [0, 0x64, 0xff, 0x9b], 96)) {
    const inner = blockedIPv4(embeddedV4(bytes, 12));
    return inner === null ? null : `NAT64 ${inner}`;
  }
  if (prefix(bytes, [0, 0x64, 0xff, 0x9b, 0, 1], 48)) return "NAT64 local-use (64:ff9b:1::/48)";
  if (prefix(bytes, [0xfc], 7)) return "unique local (fc00::/7)";
  if (prefix(bytes, [0xfe, 0x80], 10)) return "link-local (fe80::/10)";
  if (prefix(bytes, [0xfe, 0xc0], 10)) return "site-local (fec0::/10)";
  if (prefix(bytes, [0xff], 8)) return "multicast (ff00::/8)";
  if (!prefix(bytes, [0x20], 3)) return "reserved (outside global unicast 2000::/3)";
  if (prefix(bytes, [0x20, 0x02], 16)) return "6to4 (2002::/16)";
  if (prefix(bytes, [0x20, 0x01, 0, 0], 32)) return "Teredo (2001::/32)";
  if (prefix(bytes, [0x20, 0x01, 0x0d, 0xb8], 32)) return "reserved (documentation 2001:db8::/32)";
  if (prefix(bytes, [0x20, 0x01, 0, 0x02, 0, 0], 48)) return "reserved (benchmarking 2001:2::/48)";
  if (prefix(bytes, [0x20, 0x01, 0, 0x10], 28)) return "reserved (ORCHID 2001:10::/28)";
  if (prefix(bytes, [0x20, 0x01, 0, 0x20], 28)) return "reserved (ORCHIDv2 2001:20::/28)";
  return null;
}

/** Why an upstream may not use `address`, or null when it is globally reachable. */
export function blockedAddress(address: IpAddress): string | null {
  return address.version === 4 ? blockedIPv4(address.value) : blockedIPv6(address.bytes);
}
