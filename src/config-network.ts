// Outbound network settings, read for loadConfig: TOCSIN_ALLOWED_CIDRS, TOCSIN_EGRESS_PROXY, TOCSIN_DNS_SERVERS.
import { isIP } from "node:net";
import { type Cidr, parseCidrList } from "./core/addresses.ts";
import { coerceError } from "./core/errors.ts";
import { ConfigError } from "./config-error.ts";

/** TOCSIN_ALLOWED_CIDRS: CIDR blocks, comma-separated; undefined when unset. */
export function parseAllowedCidrs(value: string | undefined): Cidr[] | undefined {
  if (!value) return undefined;
  try {
    return parseCidrList(value);
  } catch (e) {
    throw new ConfigError(`TOCSIN_ALLOWED_CIDRS: ${coerceError(e).message}`);
  }
}

/** TOCSIN_EGRESS_PROXY: an http:// or https:// proxy URL; undefined when unset. */
export function parseEgressProxy(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== "http:" && u.protocol !== "https:")) throw new ConfigError("TOCSIN_EGRESS_PROXY must be an http:// or https:// proxy URL");
  return u.href;
}

/** TOCSIN_DNS_SERVERS: IP, IP:port or [IPv6]:port, comma-separated; undefined when unset. */
export function parseDnsServers(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const servers = value
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  for (const server of servers) {
    const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$|^([0-9.]+):(\d{1,5})$|^([0-9a-fA-F:.]+)$/.exec(server);
    const ip = m?.[1] ?? m?.[3] ?? m?.[5];
    if (!ip || !isIP(ip)) throw new ConfigError(`TOCSIN_DNS_SERVERS: "${server}" is not an IP address, IP:port or [IPv6]:port`);
  }
  return servers;
}
