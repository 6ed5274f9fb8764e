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
