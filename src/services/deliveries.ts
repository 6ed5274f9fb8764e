import { ApiError, notFound } from "../core/errors.ts";
import type { Attempt, Delivery } from "../core/types.ts";
import type { DeliveryFilter, Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";

export async function listDeliveries(d: ServiceDeps, tenantId: string, filter: DeliveryFilter, page: Page): Promise<PageResult<Delivery>> {
  if (!(await d.store.getTenant(tenantId))) throw notFound("tenant", tenantId);
  return d.store.listDeliveries(tenantId, filter, page);
}

export async function getDelivery(d: ServiceDeps, tenantId: string, id: string): Promise<{ delivery: Delivery; attempts: Attempt[] }> {
  const delivery = await d.store.getDelivery(tenantId, id);
  if (!delivery) throw notFound("delivery", id);
  return { delivery, attempts: await d.store.listAttempts(tenantId, id) };
}

/** Manual retry of a failed delivery: it becomes pending, due now, and gets one more attempt. */
export async function retryDelivery(d: ServiceDeps, tenantId: string, id: string): Promise<Delivery> {
  const r = await d.store.retryDelivery(tenantId, id, d.now());
  if (r === "not_found") throw notFound("delivery", id);
  if (r === "not_failed") throw new ApiError(409, "conflict", `delivery ${id} is not failed; only failed deliveries can be retried`);
  d.wake();
  return r;
}
