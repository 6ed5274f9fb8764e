// Shared between bench/run.ts (the parent) and bench/receiver.ts (the webhook receiver child).

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface LatencySummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Counters for one group of receiver paths (the first path segment, e.g. `a` for /a/ep0). */
export interface GroupStats {
  group: string;
  /** Requests received. */
  count: number;
  /** Distinct (path, webhook-id) pairs: count - unique are duplicate deliveries. */
  unique: number;
  /** Requests per path. */
  paths: Record<string, number>;
  /** Wall-clock time of the first and last arrival (0 when none). */
  firstAt: number;
  lastAt: number;
  /** Requests without a webhook-signature header. */
  unsigned: number;
  /** Bodies that were not JSON with a numeric `t`. */
  badBody: number;
  /** Wall-clock time of the 1000th, 2000th, ... arrival: the delivery rate over the scenario. */
  marks: number[];
  /** Ingest-to-receive latency in ms; only when asked for (sorting is not free). */
  latency: LatencySummary | null;
}

export type ToReceiver = { id: number; cmd: "stats"; group: string; latency: boolean } | { id: number; cmd: "exit" };

export type FromReceiver = { type: "ready"; port: number } | { type: "reply"; id: number; stats: GroupStats | null };

/** Nearest-rank percentiles of `samples` (sorted in place). */
export function summarize(samples: number[]): LatencySummary | null {
  const n = samples.length;
  if (n === 0) return null;
  samples.sort((a, b) => a - b);
  const rank = (p: number) => samples[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? Number.NaN;
  let sum = 0;
  for (const s of samples) sum += s;
  return { n, p50: rank(50), p90: rank(90), p99: rank(99), max: samples.at(-1) ?? Number.NaN, mean: sum / n };
}
