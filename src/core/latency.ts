/** Attempt latency summaries: nearest-rank percentiles and a fixed-bound histogram. Pure. */

/** Upper bounds (ms) of the histogram's bars; one more bar holds everything slower. */
export const LATENCY_BOUNDS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;

export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  /** `upToMs` null: slower than the last bound. */
  histogram: { upToMs: number | null; count: number }[];
}

export function summarizeLatency(durations: readonly number[], bounds: readonly number[] = LATENCY_BOUNDS_MS): LatencySummary {
  const histogram: LatencySummary["histogram"] = bounds.map((b) => ({ upToMs: b, count: 0 }));
  histogram.push({ upToMs: null, count: 0 });
  for (const d of durations) {
    // The last bar, with no bound, takes whatever the others do not.
    const bar = histogram.find((h) => h.upToMs === null || d <= h.upToMs);
    if (bar) bar.count++;
  }
  if (durations.length === 0) return { count: 0, p50: null, p90: null, p99: null, max: null, histogram };
  const sorted = Float64Array.from(durations).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted.at(-1) ?? null, histogram };
}
