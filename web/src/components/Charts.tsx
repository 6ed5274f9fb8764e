import { type TocsinClient, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useLoad, useSearchState } from "../hooks.ts";
import {
  CHART_RANGES,
  OUTCOMES,
  type Outcome,
  axisTicks,
  bucketRangeLabel,
  chartRangeOf,
  filledSpan,
  fittedRange,
  formatMs,
  latencyBarLabel,
  tickLabel,
} from "../lib/deliveries.ts";
import { ErrorNote, Loading } from "./ui.tsx";

interface Bucket {
  start: number;
  counts: Record<Outcome, number>;
}

async function loadStats(client: TocsinClient, tenant: string, endpointId: string | undefined, spanMs: number, buckets: number) {
  // Whole buckets ending now, so that the last bar is the current slice.
  const until = Date.now();
  const since = new Date(until - spanMs).toISOString();
  return unwrap(
    client.GET("/v1/tenants/{tenant}/stats/deliveries", {
      params: { path: { tenant }, query: { since, until: new Date(until).toISOString(), buckets, ...(endpointId ? { endpointId } : {}) } },
    }),
  );
}

type Stats = Awaited<ReturnType<typeof loadStats>>;
type Range = (typeof CHART_RANGES)[number];

/**
 * The range that holds every delivery of the last 30 days, with its figures: the month's daily
 * buckets find the oldest day; when all of it is within the last day, the day's hourly buckets
 * find the oldest hour. At most three stats calls, each bounded by the route.
 */
async function fittedStats(client: TocsinClient, tenant: string, endpointId: string | undefined): Promise<{ range: Range; stats: Stats }> {
  const load = (r: Range) => loadStats(client, tenant, endpointId, r.ms, r.buckets);
  const byRange = (v: string): Range => chartRangeOf(v) ?? CHART_RANGES[1];
  const month = byRange("30d");
  const day = byRange("24h");
  const monthly = await load(month);
  let span = filledSpan(monthly.buckets, month.ms / month.buckets);
  let dayStats: Stats | null = null;
  if (span !== null && span <= day.ms) {
    dayStats = await load(day);
    span = filledSpan(dayStats.buckets, day.ms / day.buckets) ?? span;
  }
  const range = byRange(fittedRange(span));
  if (range === month) return { range, stats: monthly };
  if (range === day && dayStats) return { range, stats: dayStats };
  return { range, stats: await load(range) };
}

/**
 * Deliveries over time by outcome, and attempt latency, for a tenant or one endpoint
 * (GET …/stats/deliveries). The range is in the address (`?range=7d`); without one, the chart
 * opens on the shortest range that holds every delivery of the last 30 days.
 */
export function EndpointCharts({ tenant, endpointId }: { tenant: string; endpointId?: string }) {
  const { client } = useConsole();
  const [search, setSearch] = useSearchState();
  const chosen = chartRangeOf(new URLSearchParams(search).get("range"));
  // The range and its figures come together, so the chart never shows one range under another's name.
  const data = useLoad(
    async () => {
      if (!chosen) return fittedStats(client, tenant, endpointId);
      return { range: chosen, stats: await loadStats(client, tenant, endpointId, chosen.ms, chosen.buckets) };
    },
    [client, tenant, endpointId, chosen?.value],
    30_000,
  );
  const r = chosen ?? data.data?.range ?? CHART_RANGES[1];
  const stats = data.data?.stats;
  const buckets: Bucket[] = (stats?.buckets ?? []).map((b) => ({ start: Date.parse(b.start), counts: b.counts }));
  const total = stats ? OUTCOMES.reduce((n, o) => n + stats.totals[o], 0) : 0;
  return (
    <section className="charts" aria-labelledby="charts-title">
      <div className="chart-head">
        <h2 id="charts-title">Activity</h2>
        <div className="field">
          <label htmlFor="chart-range">Range</label>
          <select id="chart-range" value={r.value} onChange={(e) => setSearch({ range: e.target.value })}>
            {CHART_RANGES.map((x) => (
              <option key={x.value} value={x.value}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="muted small chart-note">
        Deliveries by the time their event arrived, in their state now. Test calls (the Send test button) are sent outside the delivery queue and are not
        counted.
      </p>
      {data.loading && !stats ? <Loading /> : null}
      <ErrorNote error={data.error} />
      {stats && total === 0 ? (
        <p className="empty" data-chart="empty">
          No deliveries in the {r.label.toLowerCase()}
          {r.value !== "30d" ? "; a longer range may hold older ones" : ""}.
        </p>
      ) : null}
      {stats && total > 0 ? (
        <div className="chart-grid">
          <figure className="card" data-chart="outcomes">
            <figcaption>
              Deliveries by outcome
              {stats.sampled ? <span className="muted small"> (the newest 100,000 of this range)</span> : null}
            </figcaption>
            <OutcomeChart buckets={buckets} bucketMs={stats.bucketMs} spanMs={r.ms} />
          </figure>
          <figure className="card" data-chart="latency">
            <figcaption>Attempt latency</figcaption>
            <LatencyChart latency={stats.latency} />
          </figure>
        </div>
      ) : null}
    </section>
  );
}

const W = 600;
const H = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 24 };

function OutcomeChart({ buckets, bucketMs, spanMs }: { buckets: Bucket[]; bucketMs: number; spanMs: number }) {
  const totals = buckets.map((b) => OUTCOMES.reduce((n, o) => n + b.counts[o], 0));
  const max = Math.max(1, ...totals);
  const sum = totals.reduce((a, b) => a + b, 0);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const bw = innerW / Math.max(1, buckets.length);
  const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, buckets.reduce((n, b) => n + b.counts[o], 0)])) as Record<Outcome, number>;
  const first = buckets[0];
  const ticks = first ? axisTicks(first.start, bucketMs, buckets.length) : [];
  return (
    <>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label={`${sum} deliveries: ${OUTCOMES.map((o) => `${byOutcome[o]} ${o}`).join(", ")}`}>
        <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
        <text x={PAD.left - 4} y={PAD.top + 8} className="tick" textAnchor="end">
          {max}
        </text>
        <text x={PAD.left - 4} y={H - PAD.bottom} className="tick" textAnchor="end">
          0
        </text>
        {buckets.map((b, i) => {
          let y = H - PAD.bottom;
          const n = OUTCOMES.reduce((k, o) => k + b.counts[o], 0);
          const tip = `${bucketRangeLabel(b.start, bucketMs)}: ${
            n === 0
              ? "no deliveries"
              : OUTCOMES.filter((x) => b.counts[x] > 0)
                  .map((x) => `${b.counts[x]} ${x}`)
                  .join(", ")
          }`;
          return (
            <g key={b.start} data-bucket={new Date(b.start).toISOString()}>
              {/* The whole column answers hover, empty or not, with the bucket's time range. */}
              <rect x={PAD.left + i * bw} y={PAD.top} width={bw} height={innerH} className="bucket-hit">
                <title>{tip}</title>
              </rect>
              {OUTCOMES.map((o) => {
                const h = (b.counts[o] / max) * innerH;
                y -= h;
                return h > 0 ? (
                  <rect key={o} x={PAD.left + i * bw + 1} y={y} width={Math.max(1, bw - 2)} height={h} className={`seg-${o}`}>
                    <title>{tip}</title>
                  </rect>
                ) : null;
              })}
            </g>
          );
        })}
        {first
          ? ticks.map((t, i) => {
              const x = PAD.left + ((t - first.start) / bucketMs) * bw;
              const last = i === ticks.length - 1;
              return (
                <g key={t} className="axis-tick">
                  <line x1={x} x2={x} y1={H - PAD.bottom} y2={H - PAD.bottom + 4} className="axis" />
                  <text x={x} y={H - 6} className="tick" textAnchor={i === 0 ? "start" : last ? "end" : "middle"}>
                    {last ? "now" : tickLabel(t, spanMs)}
                  </text>
                </g>
              );
            })
          : null}
      </svg>
      <ul className="legend plain">
        {OUTCOMES.map((o) => (
          <li key={o}>
            <span className={`swatch seg-${o}`} aria-hidden="true" /> {o} {byOutcome[o]}
          </li>
        ))}
      </ul>
    </>
  );
}

type Latency = Awaited<ReturnType<typeof loadStats>>["latency"];

function LatencyChart({ latency }: { latency: Latency }) {
  if (latency.count === 0) return <p className="muted">No attempts in this range.</p>;
  const bounds = latency.histogram.map((b) => b.upToMs).filter((b): b is number => b !== null);
  const lastBound = bounds[bounds.length - 1] ?? 0;
  const bars = latency.histogram.map((b) => ({ label: latencyBarLabel(b.upToMs, lastBound), count: b.count }));
  const max = Math.max(1, ...bars.map((b) => b.count));
  const innerH = H - PAD.top - PAD.bottom;
  const bw = (W - PAD.left - PAD.right) / bars.length;
  return (
    <>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="chart"
        role="img"
        aria-label={`Attempt latency: median ${formatMs(latency.p50)}, 90th percentile ${formatMs(latency.p90)}, slowest ${formatMs(latency.max)}`}
      >
        <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
        <text x={PAD.left - 4} y={PAD.top + 8} className="tick" textAnchor="end">
          {max}
        </text>
        {bars.map((b, i) => {
          const h = (b.count / max) * innerH;
          return (
            <g key={b.label}>
              {h > 0 ? (
                <rect x={PAD.left + i * bw + 2} y={H - PAD.bottom - h} width={bw - 4} height={h} className="seg-latency">
                  <title>{`${b.label}: ${b.count}`}</title>
                </rect>
              ) : null}
              <text x={PAD.left + i * bw + bw / 2} y={H - 6} className="tick small-tick" textAnchor="middle">
                {b.label}
              </text>
            </g>
          );
        })}
      </svg>
      <p className="muted small">
        {latency.count} attempts · median {formatMs(latency.p50)} · p90 {formatMs(latency.p90)} · p99 {formatMs(latency.p99)} · max {formatMs(latency.max)}
      </p>
    </>
  );
}
