// Named egress proxies (TOCSIN_PROXIES): an endpoint's `proxy` picks one, and its requests are
// tunnelled through it with CONNECT. The target is still checked here before the tunnel is asked for.
import { isIP } from "node:net";
import { type Dispatcher, Pool, ProxyAgent } from "undici";
import type { DestinationPolicy } from "../core/addresses.ts";
import { BlockedDestinationError, type OnBlocked, resolverFor } from "./guarded-lookup.ts";

/** A named proxy as the sender needs it: its URL (credentials included) and what to hide in error messages. */
export interface ProxyTarget {
  url: string;
  /** The URL's user name and password, decoded: replaced in any error message a tenant could read. */
  secrets: string[];
}

/** The configured proxies by name, read once. */
export function proxyTargets(proxies: readonly { name: string; url: string }[] = []): Map<string, ProxyTarget> {
  const out = new Map<string, ProxyTarget>();
  for (const p of proxies) {
    const u = new URL(p.url);
    const secrets = [u.password, u.username]
      .filter((x) => x.length >= 3)
      .flatMap((x) => {
        const decoded = safeDecode(x);
        return decoded === x ? [x] : [x, decoded];
      });
    out.set(p.name, { url: p.url, secrets });
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** An error message with the proxy's credentials replaced (undici does not put them there; this makes sure). */
export function hideProxySecrets(message: string, target: ProxyTarget | undefined): string {
  if (!target) return message;
  let out = message;
  for (const s of target.secrets) out = out.split(s).join("[redacted]");
  return out;
}

/** Checks a target host before the proxy is asked to connect to it; rejects with BlockedDestinationError. */
export type TargetCheck = (hostname: string) => Promise<void>;

/**
 * The destination guard for requests through a named proxy. The proxy resolves the name again
 * when it connects, and may pick any of the addresses, so a name passes only when every address
 * it resolves to is permitted (the direct path, which connects to the address it checked, needs
 * one). Null when the policy permits every address.
 */
export function createTargetCheck(policy: DestinationPolicy, dnsServers: readonly string[] = [], onBlocked?: OnBlocked): TargetCheck | null {
  if (policy.open) return null;
  const resolve = resolverFor(dnsServers);
  return async (hostname) => {
    const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
    const addresses = isIP(host) ? [host] : (await resolve(host, undefined)).map((a) => a.address);
    if (addresses.every((a) => policy.permits(a))) return;
    onBlocked?.(host, addresses);
    throw new BlockedDestinationError(host, addresses);
  };
}

type Connector = (opts: { hostname: string }, callback: (err: Error | null, socket: unknown) => void) => void;

export interface ProxyAgentOptions {
  uri: string;
  connections: number;
  headersTimeout: number;
  bodyTimeout: number;
  connectTimeoutMs: number;
  /** TLS options for the target (inside the tunnel). */
  requestTls: Record<string, unknown>;
  /** Run before each tunnel is asked for (once per connection, not per request); null: no check. */
  check: TargetCheck | null;
}

/**
 * A ProxyAgent tunnelling every request (http targets too) with CONNECT, keeping a keep-alive pool
 * per origin inside it. With a check, each new connection's target is checked first, so a refused
 * target never reaches the proxy.
 */
export function createProxyAgent(o: ProxyAgentOptions): Dispatcher {
  const check = o.check;
  return new ProxyAgent({
    uri: o.uri,
    proxyTunnel: true,
    connections: o.connections,
    pipelining: 1,
    headersTimeout: o.headersTimeout,
    bodyTimeout: o.bodyTimeout,
    requestTls: { timeout: o.connectTimeoutMs, ...o.requestTls },
    connect: { timeout: o.connectTimeoutMs },
    ...(check
      ? {
          factory: (origin: string | URL, options: Pool.Options) => {
            const tunnel = options.connect as unknown as Connector;
            const connect: Connector = (opts, callback) => {
              check(opts.hostname).then(
                () => tunnel(opts, callback),
                (err: Error) => callback(err, null),
              );
            };
            return new Pool(origin, { ...options, connect: connect as unknown as Pool.Options["connect"] });
          },
        }
      : {}),
  });
}
