// Outbound network settings, read for loadConfig: TOCSIN_ALLOWED_CIDRS, TOCSIN_EGRESS_PROXY, TOCSIN_PROXIES, TOCSIN_DNS_SERVERS.
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

/** A proxy the operator named (TOCSIN_PROXIES): endpoints pick it by name; the URL may carry credentials and is never shown. */
export interface NamedProxy {
  name: string;
  /** http:// or https:// URL, credentials (user:password@) included. */
  url: string;
}

/** What a proxy may be called: a short lower-case name, as it appears in an endpoint's `proxy`. */
export const PROXY_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * TOCSIN_PROXIES: `name=URL` pairs, comma-separated (a comma in a password is written %2C, as
 * URLs percent-encode it anyway); undefined when unset. Error messages name the entry, never its
 * URL, since the URL may hold a password.
 */
export function parseProxies(value: string | undefined): NamedProxy[] | undefined {
  if (!value?.trim()) return undefined;
  const out: NamedProxy[] = [];
  const entries = value
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const eq = entry.indexOf("=");
    const name = eq < 0 ? "" : entry.slice(0, eq).trim();
    if (!PROXY_NAME.test(name)) {
      throw new ConfigError(
        `TOCSIN_PROXIES: entry ${i + 1} must be name=URL with a name of lower-case letters, digits, ".", "_" or "-" (at most 63 characters, starting with a letter or digit)`,
      );
    }
    let u: URL | null = null;
    try {
      u = new URL(entry.slice(eq + 1).trim());
    } catch {
      // reported below
    }
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:") || !u.hostname)
      throw new ConfigError(`TOCSIN_PROXIES: ${name} must be an http:// or https:// proxy URL`);
    if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash)
      throw new ConfigError(`TOCSIN_PROXIES: ${name}'s URL must have no path, query or fragment`);
    if (out.some((p) => p.name === name)) throw new ConfigError(`TOCSIN_PROXIES: ${name} is named twice`);
    out.push({ name, url: u.href });
  });
  return out;
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
