// The console's and portal's web settings, read for loadConfig: TOCSIN_CONSOLE_FRAME_ANCESTORS, TOCSIN_PUBLIC_URL.
import { ConfigError } from "./config-error.ts";

export const FRAME_ANCESTORS = "TOCSIN_CONSOLE_FRAME_ANCESTORS";

/**
 * TOCSIN_CONSOLE_FRAME_ANCESTORS as CSP frame-ancestors sources: origins (`https://host[:port]`,
 * `https://*.host`) and `'self'`, separated by commas or spaces; empty or `'none'` is []. Anything
 * else is refused, as it would either let any site frame the portal (`*`, `https:`) or end up
 * verbatim in a response header.
 */
export function parseFrameAncestors(value: string | undefined): string[] {
  const tokens = (value ?? "").split(/[\s,]+/).filter(Boolean);
  if (tokens.length === 1 && /^'?none'?$/i.test(tokens[0]!)) return [];
  const out: string[] = [];
  for (const t of tokens) {
    let source: string;
    if (/^'?self'?$/i.test(t)) source = "'self'";
    else {
      const [, scheme, host, port] = /^(https?):\/\/((?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(\d{1,5}))?\/?$/i.exec(t) ?? [];
      if (scheme === undefined || host === undefined || (port !== undefined && Number(port) > 65535)) {
        const why = /^'?none'?$/i.test(t)
          ? "'none' cannot be combined with other sources"
          : "expected an origin such as https://app.example.com, https://*.example.com or 'self'";
        throw new ConfigError(`${FRAME_ANCESTORS}: "${t}" is not allowed (${why})`);
      }
      source = `${scheme.toLowerCase()}://${host.toLowerCase()}${port !== undefined ? `:${port}` : ""}`;
    }
    if (!out.includes(source)) out.push(source);
  }
  if (out.length > 50) throw new ConfigError(`${FRAME_ANCESTORS} may name at most 50 origins`);
  return out;
}

/**
 * TOCSIN_PUBLIC_URL as an origin without a trailing slash. Only an origin: the console routes
 * from `/` and loads `/assets/`, so Tocsin cannot be served under a path prefix.
 */
export function parsePublicUrl(value: string | undefined): string | null {
  const v = value?.trim();
  if (!v) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`TOCSIN_PUBLIC_URL: "${v}" is not a URL (expected an origin such as https://hooks.example.com)`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new ConfigError(`TOCSIN_PUBLIC_URL must be an http or https URL, got "${v}"`);
  if (u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) {
    throw new ConfigError(`TOCSIN_PUBLIC_URL must be an origin only (scheme, host, optional port: no path, query, fragment or credentials), got "${v}"`);
  }
  return u.origin;
}
