import { ApiError, invalid, notFound } from "../core/errors.ts";
import { type LatencySummary, summarizeLatency } from "../core/latency.ts";
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

/** The widest range one stats query may cover, and what it reads at most. */
export const STATS_MAX_RANGE_MS = 31 * 24 * 3600_000;
export const STATS_MAX_DELIVERIES = 100_000;
export const STATS_MAX_ATTEMPTS = 20_000;

type Outcome = "succeeded" | "failed" | "waiting" | "cancelled";
type Counts = Record<Outcome, number>;
const zero = (): Counts => ({ succeeded: 0, failed: 0, waiting: 0, cancelled: 0 });
const outcomeOf = (status: string): Outcome => (status === "succeeded" || status === "failed" || status === "cancelled" ? status : "waiting");

export interface DeliveryStats {
  since: number;
  until: number;
  bucketMs: number;
  buckets: { start: number; counts: Counts }[];
  totals: Counts;
  latency: LatencySummary;
  sampled: boolean;
}

/**
 * Deliveries over time by outcome and attempt latency, for charts: `buckets` equal slices of
 * [since, until), read with bounded queries (see STATS_MAX_*; `sampled` says a bound was reached).
 */
export async function deliveryStats(
  d: ServiceDeps,
  tenantId: string,
  q: { since: number; until?: number; buckets: number; endpointId?: string },
): Promise<DeliveryStats> {
  const until = q.until ?? d.now();
  if (until <= q.since) throw invalid("query.until", "must be later than since");
  if (until - q.since > STATS_MAX_RANGE_MS) {
    throw invalid("query.until", "must be at most 31 days after since");
  }
  if (!(await d.store.getTenant(tenantId))) throw notFound("tenant", tenantId);
  if (q.endpointId !== undefined && !(await d.store.getEndpoint(tenantId, q.endpointId))) throw notFound("endpoint", q.endpointId);
  const bucketMs = Math.ceil((until - q.since) / q.buckets);
  const rows = await d.store.deliveryStats(tenantId, {
    since: q.since,
    until,
    bucketMs,
    endpointId: q.endpointId,
    maxDeliveries: STATS_MAX_DELIVERIES,
    maxAttempts: STATS_MAX_ATTEMPTS,
  });
  const buckets = Array.from({ length: q.buckets }, (_, i) => ({ start: q.since + i * bucketMs, counts: zero() }));
  const totals = zero();
  for (const r of rows.counts) {
    const o = outcomeOf(r.status);
    const bucket = buckets[Math.min(q.buckets - 1, Math.max(0, Math.floor(r.bucket)))];
    if (bucket === undefined) throw new Error(`delivery stats: bucket ${r.bucket} is not one of the ${q.buckets} asked for`);
    bucket.counts[o] += r.n;
    totals[o] += r.n;
  }
  return {
    since: q.since,
    until,
    bucketMs,
    buckets,
    totals,
    latency: summarizeLatency(rows.durations),
    sampled: rows.read >= STATS_MAX_DELIVERIES || rows.durations.length >= STATS_MAX_ATTEMPTS,
  };
}
