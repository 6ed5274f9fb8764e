/**
 * Who is signed in: the key, its kind, its tenant and scopes. The key lives in sessionStorage
 * (gone when the tab closes) and never in the URL; a portal link's `#token=` fragment is read
 * once and removed from the address bar by the caller.
 */

export type Scope = "events:write" | "endpoints:write" | "read";
export type KeyKind = "admin" | "tenant" | "portal";

export interface Session {
  key: string;
  kind: KeyKind;
  /** null for admin keys, which see every tenant. */
  tenantId: string | null;
  scopes: Scope[];
  /** When the key stops working (portal sessions always have one); null: never, or not known. */
  expiresAt?: string | null;
}

export const ALL_SCOPES: Scope[] = ["events:write", "endpoints:write", "read"];
/** What a portal session holds: never events:write. */
export const PORTAL_SCOPES: Scope[] = ["endpoints:write", "read"];

const STORAGE_KEY = "tocsin.session";
/** The tenant an operator last worked on, so pages outside any tenant keep its navigation. */
const LAST_TENANT_KEY = "tocsin.tenant";

/** The subset of the Web Storage API used here (so tests can pass a Map-backed object). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** `#token=tsp_…` (optionally `&tenant=…`) → its parts; null when the fragment holds no token. */
export function readPortalFragment(hash: string): { token: string; tenant: string | null } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = params.get("token")?.trim();
  if (!token) return null;
  return { token, tenant: params.get("tenant")?.trim() || null };
}

export function saveSession(store: KeyValueStore, s: Session): void {
  store.setItem(STORAGE_KEY, JSON.stringify(s));
}

export function clearSession(store: KeyValueStore): void {
  store.removeItem(STORAGE_KEY);
  store.removeItem(LAST_TENANT_KEY);
}

export function rememberTenant(store: KeyValueStore, tenant: string): void {
  store.setItem(LAST_TENANT_KEY, tenant);
}

export function lastTenant(store: KeyValueStore): string | null {
  return store.getItem(LAST_TENANT_KEY);
}

export function loadSession(store: KeyValueStore): Session | null {
  const text = store.getItem(STORAGE_KEY);
  if (!text) return null;
  try {
    const s = JSON.parse(text) as Partial<Session>;
    if (typeof s.key !== "string" || !isKind(s.kind)) return null;
    if (s.kind !== "admin" && typeof s.tenantId !== "string") return null;
    return {
      key: s.key,
      kind: s.kind,
      tenantId: s.kind === "admin" ? null : (s.tenantId ?? null),
      scopes: scopesOf(s.scopes, s.kind),
      expiresAt: typeof s.expiresAt === "string" ? s.expiresAt : null,
    };
  } catch {
    return null;
  }
}

const isKind = (k: unknown): k is KeyKind => k === "admin" || k === "tenant" || k === "portal";

function scopesOf(v: unknown, kind: KeyKind): Scope[] {
  if (kind === "admin") return [...ALL_SCOPES];
  const given = Array.isArray(v) ? v.filter((s): s is Scope => (ALL_SCOPES as unknown[]).includes(s)) : [];
  // A portal session never posts events, whatever a document says.
  return kind === "portal" ? given.filter((s) => s !== "events:write") : given;
}

/** A `GET /v1/session` answer (`{kind, tenantId, scopes}`), or null when it is not one. */
export function sessionFromDocument(key: string, body: unknown): Session | null {
  if (typeof body !== "object" || body === null) return null;
  const d = body as { kind?: unknown; tenantId?: unknown; scopes?: unknown; expiresAt?: unknown };
  if (!isKind(d.kind)) return null;
  if (d.kind !== "admin" && (typeof d.tenantId !== "string" || d.tenantId === "")) return null;
  const scopes = d.scopes === undefined ? (d.kind === "portal" ? [...PORTAL_SCOPES] : [...ALL_SCOPES]) : scopesOf(d.scopes, d.kind);
  return {
    key,
    kind: d.kind,
    tenantId: d.kind === "admin" ? null : (d.tenantId as string),
    scopes,
    expiresAt: typeof d.expiresAt === "string" ? d.expiresAt : null,
  };
}

export function can(s: Session, scope: Scope): boolean {
  return s.kind === "admin" || s.scopes.includes(scope);
}

/** Portal tokens start with `tsp_`; anything else may be an admin or a tenant key. */
export function isPortalToken(key: string): boolean {
  return key.startsWith("tsp_");
}

export type Detection =
  | { session: Session }
  /** A tenant key or portal token whose tenant the server did not say: ask the user. */
  | { needTenant: true; kind: "tenant" | "portal" }
  | { error: string };

/**
 * Finds out what `key` is. `GET /v1/session` answers directly where the server has it; otherwise
 * `GET /v1/tenants` tells an admin key (200) from a tenant-bound one (403), and a tenant-bound key
 * is checked against `tenantHint` with `GET /v1/tenants/{tenant}`.
 */
export async function detectSession(
  fetchFn: (url: string, init: { headers: Record<string, string> }) => Promise<{ status: number; json(): Promise<unknown> }>,
  baseUrl: string,
  key: string,
  tenantHint: string | null,
): Promise<Detection> {
  const headers = { authorization: `Bearer ${key}`, accept: "application/json" };
  const get = (path: string) => fetchFn(baseUrl + path, { headers });
  const unauthorized = { error: "This key is not valid: it is unknown, revoked or expired." };
  const session = await get("/v1/session");
  if (session.status === 401) return unauthorized;
  if (session.status === 200) {
    const s = sessionFromDocument(key, await session.json().catch(() => null));
    if (s) return { session: s };
  }
  const kind = isPortalToken(key) ? "portal" : "tenant";
  if (kind === "tenant") {
    const tenants = await get("/v1/tenants?limit=1");
    if (tenants.status === 401) return unauthorized;
    if (tenants.status === 200) return { session: { key, kind: "admin", tenantId: null, scopes: [...ALL_SCOPES] } };
    if (tenants.status !== 403) return { error: `The server answered ${tenants.status}; try again.` };
  }
  if (!tenantHint) return { needTenant: true, kind };
  const tenant = await get(`/v1/tenants/${encodeURIComponent(tenantHint)}`);
  if (tenant.status === 401) return unauthorized;
  if (tenant.status === 404) return { error: `This key does not belong to tenant "${tenantHint}".` };
  if (tenant.status !== 200) return { error: `The server answered ${tenant.status} for tenant "${tenantHint}".` };
  // The tenant key's scopes are not known without /v1/session: offer everything and let the
  // server refuse (403) what the key may not do.
  return { session: { key, kind, tenantId: tenantHint, scopes: kind === "portal" ? [...PORTAL_SCOPES] : [...ALL_SCOPES] } };
}
