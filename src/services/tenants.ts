import { ApiError, invalid, notFound } from "../core/errors.ts";
import { newUlid } from "../core/ids.ts";
import type { Tenant } from "../core/types.ts";
import type { Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";
import { mergePatch } from "./merge-patch.ts";

/**
 * 1-128 letters, digits and `._:-`, but not `.` or `..`: URLs fold those away as dot segments.
 * Written without lookahead, which some OpenAPI tools cannot read.
 */
export const TENANT_ID_PATTERN = "^(?:[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,127}|\\.(?:[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,126}|\\.[A-Za-z0-9._:-]{1,126}))$";

export async function createTenant(d: ServiceDeps, input: { id?: string; name?: string | null; metadata?: Record<string, unknown> }): Promise<Tenant> {
  const now = d.now();
  const t: Tenant = {
    id: input.id ?? `ten_${newUlid()}`,
    name: input.name ?? null,
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  };
  const created = await d.store.createTenant(t);
  if (!created) throw new ApiError(409, "conflict", `tenant ${JSON.stringify(t.id)} already exists`, [{ path: "/id", message: "already exists" }]);
  return created;
}

export async function getTenant(d: ServiceDeps, id: string): Promise<Tenant> {
  const t = await d.store.getTenant(id);
  if (!t) throw notFound("tenant", id);
  return t;
}

export function listTenants(d: ServiceDeps, page: Page): Promise<PageResult<Tenant>> {
  return d.store.listTenants(page);
}

export async function updateTenant(d: ServiceDeps, id: string, patch: { name?: string | null; metadata?: Record<string, unknown> | null }): Promise<Tenant> {
  const current = await getTenant(d, id);
  const changes: { name?: string | null; metadata?: Record<string, unknown> } = {};
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.metadata !== undefined) {
    const merged = patch.metadata === null ? {} : mergePatch(current.metadata, patch.metadata);
    if (merged === null || typeof merged !== "object" || Array.isArray(merged)) throw invalid("/metadata", "must be an object");
    changes.metadata = merged as Record<string, unknown>;
  }
  const t = await d.store.updateTenant(id, changes, d.now());
  if (!t) throw notFound("tenant", id);
  return t;
}

export async function deleteTenant(d: ServiceDeps, id: string): Promise<void> {
  if (!(await d.store.deleteTenant(id, d.now()))) throw notFound("tenant", id);
}

/**
 * Tenants whose id is `.` or `..`, made before such ids were refused. No URL can name them (URLs
 * fold dot segments away), so their endpoints, events and keys cannot be reached through the API;
 * deliveries already due still go out.
 */
export async function unaddressableTenants(d: ServiceDeps): Promise<string[]> {
  const found = await Promise.all([".", ".."].map((id) => d.store.getTenant(id)));
  return found.filter((t): t is Tenant => t !== null).map((t) => t.id);
}
