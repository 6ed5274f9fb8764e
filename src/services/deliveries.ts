import { ApiError, invalid, notFound } from "../core/errors.ts";
import { type WaitingFor, waitingFor } from "../core/health.ts";
import { type LatencySummary, summarizeLatency } from "../core/latency.ts";
import type { Attempt, Delivery } from "../core/types.ts";
import type { DeliveryFilter, Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";

/** A delivery with what it waits for (null once settled). */
export type WaitingDelivery = Delivery & { waitingFor: WaitingFor | null };

/** Adds what each delivery waits for, from its endpoint's state now (one query for all of them). */
async function withWaiting(d: ServiceDeps, tenantId: string, list: Delivery[]): Promise<WaitingDelivery[]> {
  const ids = [...new Set(list.filter((x) => x.status === "pending").map((x) => x.endpointId))];
  const gates = await d.store.getEndpointGates(tenantId, ids);
  const now = d.now();
  return list.map((x) => ({ ...x, waitingFor: waitingFor(x, gates.get(x.endpointId) ?? null, now) }));
}

export async function listDeliveries(d: ServiceDeps, tenantId: string, filter: DeliveryFilter, page: Page): Promise<PageResult<WaitingDelivery>> {
  if (!(await d.store.getTenant(tenantId))) throw notFound("tenant", tenantId);
  const r = await d.store.listDeliveries(tenantId, filter, page);
  return { ...r, data: await withWaiting(d, tenantId, r.data) };
}

export async function getDelivery(d: ServiceDeps, tenantId: string, id: string): Promise<{ delivery: WaitingDelivery; attempts: Attempt[] }> {
  const delivery = await d.store.getDelivery(tenantId, id);
  if (!delivery) throw notFound("delivery", id);
  const [waiting] = await withWaiting(d, tenantId, [delivery]);
  return { delivery: waiting!, attempts: await d.store.listAttempts(tenantId, id) };
}

const PHASE: Record<string, string> = { delivering: "being sent", succeeded: "succeeded", cancelled: "cancelled" };

/**
 * Retry now: a failed delivery becomes pending, due now, and gets one more attempt; a pending one
 * becomes due now, unless its endpoint's circuit is open or its rate limit holds (409 naming which).
 */
export async function retryDelivery(d: ServiceDeps, tenantId: string, id: string): Promise<WaitingDelivery> {
  const r = await d.store.retryDelivery(tenantId, id, d.now());
  if (r === "not_found") throw notFound("delivery", id);
  if (r === "not_retryable") {
    const now = await d.store.getDelivery(tenantId, id);
    const phase = now ? (PHASE[now.status] ?? now.status) : "gone";
    throw new ApiError(409, "conflict", `delivery ${id} is ${phase}; only failed, suppressed and pending deliveries can be retried`);
  }
  if ("blocked" in r) {
    const until = new Date(r.until).toISOString();
    throw new ApiError(
      409,
      "conflict",
      r.blocked === "circuit_open"
        ? `the endpoint's circuit is open until ${until}; the delivery is sent when the circuit lets requests through again`
        : `the endpoint's rate limit holds until ${until}; the delivery is sent as soon as it allows`,
    );
  }
  d.wake();
  const [waiting] = await withWaiting(d, tenantId, [r]);
  return waiting!;
}

/** The widest range one stats query may cover, and what it reads at most. */
export const STATS_MAX_RANGE_MS = 31 * 24 * 3600_000;
export const STATS_MAX_DELIVERIES = 100_000;
export const STATS_MAX_ATTEMPTS = 20_000;

type Outcome = "succeeded" | "failed" | "waiting" | "cancelled" | "suppressed";
type Counts = Record<Outcome, number>;
const zero = (): Counts => ({ succeeded: 0, failed: 0, waiting: 0, cancelled: 0, suppressed: 0 });
const outcomeOf = (status: string): Outcome =>
  status === "succeeded" || status === "failed" || status === "cancelled" || status === "suppressed" ? status : "waiting";

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
