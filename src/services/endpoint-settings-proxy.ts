// An endpoint's egress proxy (`proxy`): a name from TOCSIN_PROXIES, checked on save. Only admin
// keys may send it (the endpoint routes refuse it from anyone else before it gets here).
import { invalid } from "../core/errors.ts";

/** What the check needs of the server's configuration: the proxies' names (their URLs stay out of it). */
export interface ProxyLimits {
  proxies?: readonly { name: string }[];
}

/**
 * `proxy` after the merge: null (TOCSIN_EGRESS_PROXY, or direct) or a configured name. A name
 * is checked only when the request sets it, so an endpoint whose proxy the operator has since
 * removed can still be edited (its requests fail, naming the proxy, until it is set again).
 */
export function checkProxy(v: unknown, given: boolean, stored: string | null, limits: ProxyLimits): string | null {
  if (v === null || v === undefined) return null;
  if (!given && v === stored) return stored;
  const names = (limits.proxies ?? []).map((p) => p.name);
  if (typeof v === "string" && names.includes(v)) return v;
  throw invalid(
    "/proxy",
    names.length === 0
      ? "no proxies are configured (TOCSIN_PROXIES): the only value is null"
      : `must be null or the name of a configured proxy: ${names.join(", ")}`,
  );
}
