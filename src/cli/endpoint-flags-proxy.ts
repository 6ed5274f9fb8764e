// --proxy and --no-proxy of `endpoint add` and `endpoint update`: the endpoint's egress proxy (admin keys only).
import { exclusive } from "./shared.ts";

export const PROXY_HELP = `  --proxy NAME                Send through the egress proxy named NAME in TOCSIN_PROXIES (admin
                              keys only; GET /v1/proxies lists the names)
  --no-proxy                  No proxy of its own again: TOCSIN_EGRESS_PROXY, or direct (admin keys only)`;

export const proxyOptions = {
  proxy: { type: "string" },
  "no-proxy": { type: "boolean" },
} as const;

export interface ProxyFlags {
  proxy?: string;
  "no-proxy"?: boolean;
}

/** `proxy` from --proxy (a name, checked by the server) or --no-proxy (null); undefined when neither is given. */
export function proxyFlags(v: ProxyFlags): string | null | undefined {
  exclusive(v as Record<string, unknown>, ["proxy", "no-proxy"]);
  if (v["no-proxy"]) return null;
  return v.proxy;
}
