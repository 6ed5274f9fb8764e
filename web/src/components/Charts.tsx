import { useState } from "react";
import { type TocsinClient, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useLoad } from "../hooks.ts";
import { CHART_RANGES, OUTCOMES, type Outcome, formatMs, latencyBarLabel } from "../lib/deliveries.ts";
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

/** Deliveries over time by outcome, and attempt latency, for a tenant or one endpoint (GET …/stats/deliveries). */
export function EndpointCharts({ tenant, endpointId }: { tenant: string; endpointId?: string }) {
  const { client } = useConsole();
  const [range, setRange] = useState("24h");
  const r = CHART_RANGES.find((x) => x.value === range) ?? CHART_RANGES[1];
  const data = useLoad(() => loadStats(client, tenant, endpointId, r.ms, r.buckets), [client, tenant, endpointId, r.ms, r.buckets], 30_000);
  const stats = data.data;
  const buckets: Bucket[] = (stats?.buckets ?? []).map((b) => ({ start: Date.parse(b.start), counts: b.counts }));
  return (
    <section className="charts" aria-labelledby="charts-title">
      <div className="chart-head">
        <h2 id="charts-title">Activity</h2>
        <div className="field">
          <label htmlFor="chart-range">Range</label>
          <select id="chart-range" value={range} onChange={(e) => setRange(e.target.value)}>
            {CHART_RANGES.map((x) => (
              <option key={x.value} value={x.value}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {data.loading && !stats ? <Loading /> : null}
      <ErrorNote error={data.error} />
      {stats ? (
        <div className="chart-grid">
          <figure className="card" data-chart="outcomes">
            <figcaption>
              Deliveries by outcome
              {stats.sampled ? <span className="muted small"> (the newest 100,000 of this range)</span> : null}
            </figcaption>
            <OutcomeChart buckets={buckets} />
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

function OutcomeChart({ buckets }: { buckets: Bucket[] }) {
  const totals = buckets.map((b) => OUTCOMES.reduce((n, o) => n + b.counts[o], 0));
  const max = Math.max(1, ...totals);
  const sum = totals.reduce((a, b) => a + b, 0);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const bw = innerW / Math.max(1, buckets.length);
  const label = (ms: number) => new Date(ms).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, buckets.reduce((n, b) => n + b.counts[o], 0)])) as Record<Outcome, number>;
  const first = buckets[0];
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
          return (
            <g key={b.start}>
              {OUTCOMES.map((o) => {
                const h = (b.counts[o] / max) * innerH;
                y -= h;
                return h > 0 ? (
                  <rect key={o} x={PAD.left + i * bw + 1} y={y} width={Math.max(1, bw - 2)} height={h} className={`seg-${o}`}>
                    <title>{`${label(b.start)}: ${b.counts[o]} ${o}`}</title>
                  </rect>
                ) : null;
              })}
            </g>
          );
        })}
        {first ? (
          <>
            <text x={PAD.left} y={H - 6} className="tick">
              {label(first.start)}
            </text>
            <text x={W - PAD.right} y={H - 6} className="tick" textAnchor="end">
              now
            </text>
          </>
        ) : null}
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
