import { BlockList, isIP } from "node:net";

// Addresses a webhook must never reach unless the operator allows private networks: everything
// that is not globally routable unicast (RFC 6890 special-purpose registries).
const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 96], // unspecified, loopback and IPv4-compatible
  ["100::", 64], // discard
  ["2001::", 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID...)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, "ipv6");
}

/** Extracts the IPv4 address embedded in IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::/96) IPv6. */
function embeddedIpv4(ip: string): string | null {
  const [, v4, hiHex, loHex] = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(ip) ?? [];
  if (v4) return v4;
  if (hiHex === undefined || loHex === undefined) return null;
  const hi = Number.parseInt(hiHex, 16);
  const lo = Number.parseInt(loHex, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True when `ip` is a globally routable unicast address. */
export function isGlobalAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !blocked.check(ip, "ipv4");
  if (family !== 6) return false;
  const v4 = embeddedIpv4(ip.toLowerCase());
  if (v4 !== null) return !blocked.check(v4, "ipv4");
  const first = Number.parseInt(ip.split(":")[0] || "0", 16);
  // Only 2000::/3 is global unicast.
  if (first < 0x2000 || first > 0x3fff) return false;
  return !blocked.check(ip, "ipv6");
}

/** Checks a URL's host when it is a literal IP (connect() skips lookup for those). */
export function checkLiteralHost(hostname: string): string | null {
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  if (isIP(host) && !isGlobalAddress(host)) return `${host} is not a global address`;
  return null;
}

export interface Cidr {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

/** Parses `10.0.0.0/8, fd00::/8` (a bare address means /32 or /128); throws naming the bad entry. */
export function parseCidrList(text: string): Cidr[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [address = "", bits, extra] = entry.split("/");
      const family = isIP(address);
      if (!family || extra !== undefined) throw new Error(`"${entry}" is not an IP address or CIDR block`);
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (!/^\d{1,3}$/.test(bits ?? String(max)) || prefix > max) throw new Error(`"${entry}": the prefix length must be 0 to ${max}`);
      return { address, prefix, family: family === 4 ? "ipv4" : "ipv6" };
    });
}

/**
 * Which destinations deliveries, test calls and validation requests may reach: global unicast
 * addresses always; every address when private networks are allowed; otherwise also the
 * operator's allow-listed CIDR blocks (on-premise receivers).
 */
export interface DestinationPolicy {
  /** Every address is allowed: no lookup guard needed. */
  readonly open: boolean;
  permits(ip: string): boolean;
  /** A reason when `hostname` is a literal IP the policy refuses; null otherwise (names are checked when resolved). */
  refuseLiteral(hostname: string): string | null;
}

export function createDestinationPolicy(allowPrivateNetworks: boolean, allowedCidrs: readonly Cidr[] = []): DestinationPolicy {
  const allowed = new BlockList();
  for (const c of allowedCidrs) allowed.addSubnet(c.address, c.prefix, c.family);
  const inAllowList = (ip: string): boolean => {
    const family = isIP(ip);
    if (family === 0) return false;
    if (allowed.check(ip, family === 4 ? "ipv4" : "ipv6")) return true;
    // An IPv4-mapped or NAT64 address is allowed when the IPv4 address it carries is.
    const v4 = family === 6 ? embeddedIpv4(ip.toLowerCase()) : null;
    return v4 !== null && allowed.check(v4, "ipv4");
  };
  const permits = (ip: string) => allowPrivateNetworks || isGlobalAddress(ip) || (allowedCidrs.length > 0 && inAllowList(ip));
  return {
    open: allowPrivateNetworks,
    permits,
    refuseLiteral(hostname) {
      const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
      if (isIP(host) && !permits(host)) return `${host} is not a global address`;
      return null;
    },
  };
}
