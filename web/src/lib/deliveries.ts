/**
 * The delivery log's filters as API queries, and the small formatting the log and the charts
 * share. Pure functions over plain values: the server filters and aggregates.
 */

import { DELIVERY_STATUSES, type DeliveryStatus, EVENT_TYPE_PATTERN, OUTCOMES, type Outcome } from "@tocsin/client";

export { DELIVERY_STATUSES, type DeliveryStatus, OUTCOMES, type Outcome };

export interface DeliveryFilter {
  status: "" | DeliveryStatus;
  /** An exact type, `prefix.*` or `*`, as typed; blank: any. */
  type: string;
  /** Only deliveries created in the last this many ms; null: any time. */
  withinMs: number | null;
}

export function emptyFilter(): DeliveryFilter {
  return { status: "", type: "", withinMs: null };
}

/** The same pattern the API checks (`eventType`): names of dot-separated words, `prefix.*` or `*`. */
const TYPE_PATTERN = new RegExp(EVENT_TYPE_PATTERN);

/** Why a typed event-type filter cannot be sent, or null when it can. */
export function typeFilterError(type: string): string | null {
  const t = type.trim();
  if (t === "" || TYPE_PATTERN.test(t)) return null;
  return "Use an event type (alert.fired), a family (alert.*) or * for any.";
}

export interface DeliveryQuery {
  eventId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  since?: string;
}

/** The query string fields of `GET …/deliveries` for a filter, at time `now`. */
export function deliveryQuery(f: DeliveryFilter, now: number): DeliveryQuery {
  const q: DeliveryQuery = {};
  if (f.status !== "") q.status = f.status;
  const t = f.type.trim();
  if (t !== "" && t !== "*" && typeFilterError(t) === null) q.eventType = t;
  if (f.withinMs !== null) q.since = new Date(now - f.withinMs).toISOString();
  return q;
}

/** The log's time choices: deliveries created within the last this many ms. */
export const LOG_SINCE: readonly { value: string; label: string; ms: number | null }[] = [
  { value: "", label: "Any time", ms: null },
  { value: "15m", label: "Last 15 minutes", ms: 15 * 60_000 },
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
];

/** The log's filters as they stand in the address (`?status=failed&type=alert.*&since=1h&endpoint=ep_…&event=evt_…`). */
export interface LogSearch {
  status: "" | DeliveryStatus;
  type: string;
  since: string;
  endpoint: string;
  /** One event's deliveries (the Events page links here). */
  event: string;
}

/** Reads the log's filters from a query string; values the log does not offer read as blank. */
export function logSearchOf(search: string): LogSearch {
  const p = new URLSearchParams(search);
  const status = p.get("status") ?? "";
  const since = p.get("since") ?? "";
  return {
    status: (DELIVERY_STATUSES as readonly string[]).includes(status) ? (status as DeliveryStatus) : "",
    type: p.get("type") ?? "",
    since: LOG_SINCE.some((s) => s.value === since) ? since : "",
    endpoint: p.get("endpoint") ?? "",
    event: p.get("event") ?? "",
  };
}

/** The query-string changes that record `f` (blank fields removed). */
export function logSearchChanges(f: Partial<LogSearch>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(f)) out[k] = v === "" || v === undefined ? null : v;
  return out;
}

/** The body of `POST …/deliveries/retry-failed` for the log's current filter: endpoint, event type and time. */
export function retryFailedBody(f: { endpointId?: string; type: string; withinMs: number | null }, now: number) {
  const q = deliveryQuery({ status: "", type: f.type, withinMs: f.withinMs }, now);
  return {
    ...(f.endpointId ? { endpointId: f.endpointId } : {}),
    ...(q.eventType ? { eventType: q.eventType } : {}),
    ...(q.since ? { since: q.since, until: new Date(now).toISOString() } : {}),
  };
}

/** A chart's range: its span and how many bars it is cut into. */
export interface ChartRange {
  value: string;
  label: string;
  ms: number;
  buckets: number;
}

export const CHART_RANGES = [
  { value: "1h", label: "Last hour", ms: 3_600_000, buckets: 12 },
  { value: "24h", label: "Last 24 hours", ms: 86_400_000, buckets: 24 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000, buckets: 28 },
  { value: "30d", label: "Last 30 days", ms: 30 * 86_400_000, buckets: 30 },
] as const satisfies readonly ChartRange[];

export type ChartRangeValue = (typeof CHART_RANGES)[number]["value"];

export function chartRangeOf(value: string | null): (typeof CHART_RANGES)[number] | null {
  return CHART_RANGES.find((r) => r.value === value) ?? null;
}

/**
 * The range a chart opens with: the shortest that holds `span`, the time from the oldest delivery
 * of the last 30 days (its bucket's start) to now, so every recent delivery is on the chart and
 * fills as much of it as it can; 24 hours when there is none (the chart then says it is empty).
 */
export function fittedRange(span: number | null): ChartRangeValue {
  if (span === null) return "24h";
  return CHART_RANGES.find((r) => span <= r.ms)?.value ?? "30d";
}

/** The time from the start of the first bucket that counts any delivery to the end of the last; null when all are empty. */
export function filledSpan(buckets: readonly { counts: Record<Outcome, number> }[], bucketMs: number): number | null {
  const first = buckets.findIndex((b) => OUTCOMES.some((o) => b.counts[o] > 0));
  return first < 0 ? null : (buckets.length - first) * bucketMs;
}

/** Axis ticks: about `most` bucket edges, evenly spaced, from the first to the end of the range. */
export function axisTicks(since: number, bucketMs: number, buckets: number, most = 6): number[] {
  const step = Math.max(1, Math.ceil(buckets / Math.max(1, most - 1)));
  const out: number[] = [];
  for (let i = 0; i <= buckets; i += step) out.push(since + i * bucketMs);
  if (out[out.length - 1] !== since + buckets * bucketMs) out.push(since + buckets * bucketMs);
  return out;
}

/** A tick's text: the time of day for a range up to a day, the date (and hour when needed) beyond. */
export function tickLabel(ms: number, spanMs: number, timeZone?: string): string {
  const d = new Date(ms);
  if (spanMs <= 86_400_000) return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", timeZone });
  if (spanMs <= 7 * 86_400_000) return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", timeZone });
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone });
}

/** A bar's tooltip heading: the time range it covers, `Dec 6, 10:00 – 10:05`. */
export function bucketRangeLabel(start: number, bucketMs: number, timeZone?: string): string {
  const end = start + bucketMs;
  const day = (ms: number) => new Date(ms).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone });
  const time = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", timeZone });
  return day(start) === day(end) ? `${day(start)}, ${time(start)} – ${time(end)}` : `${day(start)}, ${time(start)} – ${day(end)}, ${time(end)}`;
}

/** A histogram bar's label from its upper bound: `≤250ms`, `≤2.5s`, or `>10s` for the open-ended last bar. */
export function latencyBarLabel(upToMs: number | null, lastBoundMs: number): string {
  return upToMs === null ? `>${compactMs(lastBoundMs)}` : `≤${compactMs(upToMs)}`;
}

/** Axis labels: `250ms`, `2.5s`. */
function compactMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** `1.2 KB`, `16 KiB`-style sizes for bodies. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
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

/** A span in words at two units at most: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
