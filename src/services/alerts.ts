import { notFound } from "../core/errors.ts";
import type { Alert, Attempt, Batch, Delivery } from "../core/types.ts";
import type { Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";

export async function listAlerts(d: ServiceDeps, tenantId: string, filter: { status?: "open" | "resolved" }, page: Page): Promise<PageResult<Alert>> {
  if (!(await d.store.getTenant(tenantId))) throw notFound("tenant", tenantId);
  return d.store.listAlerts(tenantId, filter, page);
}

export async function getAlert(d: ServiceDeps, tenantId: string, fingerprint: string): Promise<Alert> {
  const a = await d.store.getAlert(tenantId, fingerprint);
  if (!a) throw notFound("alert", fingerprint);
  return a;
}

export async function getBatch(d: ServiceDeps, tenantId: string, id: string): Promise<{ batch: Batch; members: Delivery[]; attempts: Attempt[] }> {
  const b = await d.store.getBatch(tenantId, id);
  if (!b) throw notFound("batch", id);
  return b;
}
