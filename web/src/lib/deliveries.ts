/**
 * The delivery log's filters and the overview's charts, computed from bounded pages of
 * `GET …/deliveries` (newest first) and of attempts. Pure functions over plain documents.
 */

export const DELIVERY_STATUSES = ["pending", "delivering", "succeeded", "failed", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The fields of a delivery these functions read. */
export interface DeliveryLike {
  status: string;
  eventType: string;
  createdAt: string;
}

export interface AttemptLike {
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  errorClass: string | null;
}

export interface DeliveryFilter {
  /** Applied by the server (`?status=`). */
  status: "" | DeliveryStatus;
  /** An exact type, or a `prefix.*` pattern; applied here, on the loaded pages. */
  type: string;
  /** Only deliveries created at or after this time (ms since the epoch); null: any time. */
  since: number | null;
}

export function emptyFilter(): DeliveryFilter {
  return { status: "", type: "", since: null };
}

/** Whether an event type matches a filter typed by a person: `alert.fired`, `alert.*` or `*`. */
export function typeMatches(filter: string, type: string): boolean {
  const f = filter.trim();
  if (f === "" || f === "*") return true;
  if (f.endsWith(".*")) return type.startsWith(f.slice(0, -1));
  return type === f;
}

export function applyFilter<T extends DeliveryLike>(items: T[], f: DeliveryFilter): T[] {
  return items.filter(
    (d) => (f.status === "" || d.status === f.status) && typeMatches(f.type, d.eventType) && (f.since === null || Date.parse(d.createdAt) >= f.since),
  );
}

/** Pages are newest first: once a page ends before `since`, older pages cannot match. */
export function reachedSince(page: DeliveryLike[], since: number | null): boolean {
  if (since === null || page.length === 0) return false;
  return Date.parse(page[page.length - 1].createdAt) < since;
}

export type Outcome = "succeeded" | "failed" | "waiting" | "cancelled";

export function outcomeOf(status: string): Outcome {
  if (status === "succeeded") return "succeeded";
  if (status === "failed") return "failed";
  if (status === "cancelled") return "cancelled";
  return "waiting";
}

export interface Bucket {
  /** Start of the bucket, ms since the epoch. */
  start: number;
  counts: Record<Outcome, number>;
}

/**
 * Deliveries counted by outcome in `buckets` equal slices of [end − span, end). Deliveries
 * outside the range are left out.
 */
export function bucketByOutcome(items: DeliveryLike[], end: number, spanMs: number, buckets: number): Bucket[] {
  const width = spanMs / buckets;
  const start = end - spanMs;
  const out: Bucket[] = Array.from({ length: buckets }, (_, i) => ({
    start: start + i * width,
    counts: { succeeded: 0, failed: 0, waiting: 0, cancelled: 0 },
  }));
  for (const d of items) {
    const t = Date.parse(d.createdAt);
    if (!(t >= start && t < end)) continue;
    const i = Math.min(buckets - 1, Math.floor((t - start) / width));
    out[i].counts[outcomeOf(d.status)]++;
  }
  return out;
}

export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of attempt durations; null without attempts. */
export function latencyStats(durations: number[]): LatencyStats | null {
  if (durations.length === 0) return null;
  const sorted = [...durations].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.length - 1] };
}

/** Upper bounds (ms) of the latency histogram's bars; the last bar holds everything slower. */
export const LATENCY_BOUNDS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

export function latencyHistogram(durations: number[], bounds = LATENCY_BOUNDS): { label: string; count: number }[] {
  const bars = bounds.map((b) => ({ label: `≤${compactMs(b)}`, count: 0 }));
  bars.push({ label: `>${compactMs(bounds[bounds.length - 1])}`, count: 0 });
  for (const d of durations) {
    const i = bounds.findIndex((b) => d <= b);
    bars[i === -1 ? bars.length - 1 : i].count++;
  }
  return bars;
}

/** Axis labels: `250ms`, `2.5s`. */
function compactMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** `2 min ago`, `in 5 s`: coarse relative times for tables. */
export function relativeTime(iso: string | null, now: number): string {
  if (!iso) return "never";
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const [n, unit] =
    abs < 60_000
      ? [Math.round(abs / 1000), "s"]
      : abs < 3_600_000
        ? [Math.round(abs / 60_000), "min"]
        : abs < 86_400_000
          ? [Math.round(abs / 3_600_000), "h"]
          : [Math.round(abs / 86_400_000), "d"];
  if (abs < 1000) return "just now";
  return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}
