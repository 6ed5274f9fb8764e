import { isIP } from "node:net";
import { ConfigError } from "./config-error.ts";

// TOCSIN_TRUST_PROXY, read for loadConfig.

const PROXY_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

/** TOCSIN_TRUST_PROXY: unset or `false` is off; a whole number is a hop count; else addresses, CIDR blocks or range names, comma-separated. */
export function parseTrustProxy(v: string | undefined): false | string[] | number {
  const t = v?.trim();
  if (!t || t === "false") return false;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1 || n > 100) throw new ConfigError(`TOCSIN_TRUST_PROXY: a hop count must be between 1 and 100, got ${n}`);
    return n;
  }
  const items = t
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  for (const item of items) {
    if (PROXY_RANGES.has(item)) continue;
    const [ip = "", bits, extra] = item.split("/");
    const family = isIP(ip);
    const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!family || !okBits || extra !== undefined) {
      throw new ConfigError(
        `TOCSIN_TRUST_PROXY: "${item}" is not an IP address, a CIDR block, loopback, linklocal or uniquelocal (or set a hop count, or false)`,
      );
    }
  }
  return items;
}
