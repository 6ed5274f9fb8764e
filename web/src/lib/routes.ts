/**
 * The console's pages and their paths. Deep links (`/tenants/acme/endpoints/ep_…`) work because
 * the server answers every non-API path with index.html.
 */

export type EndpointTab = "overview" | "deliveries" | "test" | "settings";

export type Route =
  | { page: "home" }
  | { page: "portal" }
  | { page: "tenants" }
  | { page: "event-types" }
  | { page: "endpoints"; tenant: string }
  | { page: "endpoint-new"; tenant: string }
  | { page: "endpoint"; tenant: string; id: string; tab: EndpointTab }
  | { page: "endpoint-edit"; tenant: string; id: string }
  | { page: "deliveries"; tenant: string }
  | { page: "delivery"; tenant: string; id: string }
  | { page: "overview"; tenant: string }
  | { page: "events"; tenant: string }
  | { page: "silences"; tenant: string }
  | { page: "silence-new"; tenant: string }
  | { page: "silence"; tenant: string; id: string }
  | { page: "alerts"; tenant: string }
  | { page: "not-found"; path: string };

const TABS: EndpointTab[] = ["overview", "deliveries", "test", "settings"];

export function parseRoute(pathname: string): Route {
  const parts = pathname
    .split("/")
    .filter((p) => p !== "")
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  // Each segment is read only where `n` says it is there; "" stands for the ones that are not.
  const [a = "", b = "", c = "", d = "", e = ""] = parts;
  const n = parts.length;
  if (n === 0) return { page: "home" };
  if (a === "portal" && n === 1) return { page: "portal" };
  if (a === "event-types" && n === 1) return { page: "event-types" };
  if (a === "tenants") {
    if (n === 1) return { page: "tenants" };
    const tenant = b;
    if (n === 2) return { page: "endpoints", tenant };
    if (c === "endpoints") {
      if (n === 3) return { page: "endpoints", tenant };
      if (d === "new" && n === 4) return { page: "endpoint-new", tenant };
      if (n === 4) return { page: "endpoint", tenant, id: d, tab: "overview" };
      if (n === 5 && e === "edit") return { page: "endpoint-edit", tenant, id: d };
      if (n === 5 && (TABS as string[]).includes(e)) return { page: "endpoint", tenant, id: d, tab: e as EndpointTab };
    }
    if (c === "deliveries" && n === 3) return { page: "deliveries", tenant };
    if (c === "deliveries" && n === 4) return { page: "delivery", tenant, id: d };
    if (c === "overview" && n === 3) return { page: "overview", tenant };
    if (c === "events" && n === 3) return { page: "events", tenant };
    if (c === "silences" && n === 3) return { page: "silences", tenant };
    if (c === "silences" && n === 4) return d === "new" ? { page: "silence-new", tenant } : { page: "silence", tenant, id: d };
    if (c === "alerts" && n === 3) return { page: "alerts", tenant };
  }
  return { page: "not-found", path: pathname };
}

const seg = encodeURIComponent;

export function pathOf(r: Route): string {
  switch (r.page) {
    case "home":
      return "/";
    case "portal":
      return "/portal";
    case "tenants":
      return "/tenants";
    case "event-types":
      return "/event-types";
    case "endpoints":
      return `/tenants/${seg(r.tenant)}/endpoints`;
    case "endpoint-new":
      return `/tenants/${seg(r.tenant)}/endpoints/new`;
    case "endpoint":
      return `/tenants/${seg(r.tenant)}/endpoints/${seg(r.id)}${r.tab === "overview" ? "" : `/${r.tab}`}`;
    case "endpoint-edit":
      return `/tenants/${seg(r.tenant)}/endpoints/${seg(r.id)}/edit`;
    case "deliveries":
      return `/tenants/${seg(r.tenant)}/deliveries`;
    case "delivery":
      return `/tenants/${seg(r.tenant)}/deliveries/${seg(r.id)}`;
    case "overview":
      return `/tenants/${seg(r.tenant)}/overview`;
    case "events":
      return `/tenants/${seg(r.tenant)}/events`;
    case "silences":
      return `/tenants/${seg(r.tenant)}/silences`;
    case "silence-new":
      return `/tenants/${seg(r.tenant)}/silences/new`;
    case "silence":
      return `/tenants/${seg(r.tenant)}/silences/${seg(r.id)}`;
    case "alerts":
      return `/tenants/${seg(r.tenant)}/alerts`;
    case "not-found":
      return r.path;
  }
}

/** The tenant a page belongs to, if any. */
export function tenantOf(r: Route): string | null {
  return "tenant" in r ? r.tenant : null;
}

/**
 * A query string with `changes` applied: a null or blank value removes the key; other keys keep
 * their order. Returned without `?` ("" when nothing is left).
 */
export function withSearch(search: string, changes: Record<string, string | null | undefined>): string {
  const p = new URLSearchParams(search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") p.delete(k);
    else p.set(k, v);
  }
  return p.toString();
}
