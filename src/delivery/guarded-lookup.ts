import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from "node:dns";
import { isGlobalAddress } from "../core/addresses.ts";

export class BlockedDestinationError extends Error {
  readonly code = "ETOCSIN_BLOCKED";
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls.connect that resolves the host and hands back only global addresses,
 * so the socket connects to exactly the address that was checked (no DNS rebinding window).
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (err, addresses) => {
    if (err) return callback(err, []);
    const allowed = addresses.filter((a) => isGlobalAddress(a.address));
    if (allowed.length === 0) {
      const list = addresses.map((a) => a.address).join(", ");
      return callback(new BlockedDestinationError(`${hostname} resolves to a non-global address (${list})`), []);
    }
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0].address, allowed[0].family);
  });
}

