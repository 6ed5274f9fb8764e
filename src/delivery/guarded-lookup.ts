import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions, promises as dnsPromises } from "node:dns";
import { isIP } from "node:net";
import type { DestinationPolicy } from "../core/addresses.ts";

/**
 * A name that resolves only to addresses the policy refuses. The message is what the tenant sees
 * in the attempt log, so it does not name the addresses: a tenant could otherwise map the
 * operator's internal DNS. `addresses` is for the operator's log.
 */
export class BlockedDestinationError extends Error {
  readonly code = "ETOCSIN_BLOCKED";
  readonly hostname: string;
  readonly addresses: readonly string[];
  constructor(hostname: string, addresses: readonly string[]) {
    super(`${hostname} resolves to a private or reserved address: deliveries there are refused`);
    this.hostname = hostname;
    this.addresses = addresses;
  }
}

/** Told of every refused name, with the addresses it resolved to (the operator's log). */
export type OnBlocked = (hostname: string, addresses: readonly string[]) => void;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFn = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;
export type Resolve = (hostname: string, family: number | undefined) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), as every Node program resolves. */
const systemResolve: Resolve = (hostname, family) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { family: family ?? 0, all: true } as LookupAllOptions, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

/** DNS queries straight to `servers` (TOCSIN_DNS_SERVERS): A and AAAA records. */
function serversResolve(servers: readonly string[]): Resolve {
  const resolver = new dnsPromises.Resolver({ timeout: 5000, tries: 2 });
  resolver.setServers([...servers]);
  const none = (e: NodeJS.ErrnoException): string[] => {
    if (e.code === "ENODATA" || e.code === "ENOTFOUND") return [];
    throw e;
  };
  return async (hostname, family) => {
    if (isIP(hostname)) return [{ address: hostname, family: isIP(hostname) }];
    const [v4, v6] = await Promise.all([
      family === 6 ? [] : resolver.resolve4(hostname).catch(none),
      family === 4 ? [] : resolver.resolve6(hostname).catch(none),
    ]);
    const out = [...v4.map((address) => ({ address, family: 4 })), ...v6.map((address) => ({ address, family: 6 }))];
    if (out.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
    return out;
  };
}

/** How the guard resolves names: with TOCSIN_DNS_SERVERS when set, else as the system does. */
export const resolverFor = (dnsServers: readonly string[] = []): Resolve => (dnsServers.length ? serversResolve(dnsServers) : systemResolve);

/**
 * A `lookup` for net/tls.connect that resolves the host once and hands back only the addresses
 * the policy permits, so the socket connects to exactly an address that was checked: an answer
 * that changes between a check and the connect (DNS rebinding) cannot get through, because
 * there is no separate check.
 */
export function createGuardedLookup(policy: DestinationPolicy, dnsServers: readonly string[] = [], onBlocked?: OnBlocked): LookupFn {
  const resolve = resolverFor(dnsServers);
  return (hostname, options, callback) => {
    resolve(hostname, options.family === 4 || options.family === 6 ? options.family : undefined).then(
      (addresses) => {
        const allowed = addresses.filter((a) => policy.permits(a.address));
        const first = allowed[0];
        if (first === undefined) {
          const list = addresses.map((a) => a.address);
          onBlocked?.(hostname, list);
          return callback(new BlockedDestinationError(hostname, list), []);
        }
        if (options.all) return callback(null, allowed);
        callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };
}
