import { useState } from "react";
import { type Delivery, type TocsinClient, unwrap } from "../../../packages/client/src/index.ts";
import { useConsole } from "../context.ts";
import { useLoad } from "../hooks.ts";
import { type Bucket, type Outcome, bucketByOutcome, formatMs, latencyHistogram, latencyStats, reachedSince } from "../lib/deliveries.ts";
import { ErrorNote, Loading } from "./ui.tsx";

type Row = Omit<Delivery, "attempts">;
const RANGES = [
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
];
/** Bounds on what one chart view reads: pages of deliveries, and deliveries whose attempts are fetched. */
const PAGE = 500;
const MAX_PAGES = 4;
const LATENCY_SAMPLE = 20;
const OUTCOMES: Outcome[] = ["succeeded", "failed", "waiting", "cancelled"];

async function loadChartData(client: TocsinClient, tenant: string, endpointId: string | undefined, spanMs: number) {
  const end = Date.now();
  const since = end - spanMs;
  const items: Row[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await unwrap(
      client.GET("/v1/tenants/{tenant}/deliveries", {
        params: { path: { tenant }, query: { limit: PAGE, ...(endpointId ? { endpointId } : {}), ...(cursor ? { cursor } : {}) } },
      }),
    );
    items.push(...page.data);
    if (!page.nextCursor || reachedSince(page.data, since)) break;
    cursor = page.nextCursor;
  }
  const sample = items.filter((d) => d.attemptCount > 0 && Date.parse(d.createdAt) >= since).slice(0, LATENCY_SAMPLE);
  const details = await Promise.all(sample.map((d) => unwrap(client.GET("/v1/tenants/{tenant}/deliveries/{id}", { params: { path: { tenant, id: d.id } } }))));
  const durations = details.flatMap((d) => d.attempts.map((a) => a.durationMs));
  return { end, items, truncated: items.length >= PAGE * MAX_PAGES, durations, sampled: sample.length };
}

/** Deliveries over time by outcome, and attempt latency, for a tenant or one endpoint. */
export function EndpointCharts({ tenant, endpointId }: { tenant: string; endpointId?: string }) {
  const { client } = useConsole();
  const [range, setRange] = useState("24h");
  const spanMs = RANGES.find((r) => r.value === range)?.ms ?? 86_400_000;
  const data = useLoad(() => loadChartData(client, tenant, endpointId, spanMs), [client, tenant, endpointId, spanMs], 30_000);
  const buckets = data.data ? bucketByOutcome(data.data.items, data.data.end, spanMs, 24) : [];
  return (
    <section className="charts" aria-labelledby="charts-title">
      <div className="chart-head">
        <h2 id="charts-title">Activity</h2>
        <div className="field">
          <label htmlFor="chart-range">Range</label>
          <select id="chart-range" value={range} onChange={(e) => setRange(e.target.value)}>
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {data.loading && !data.data ? <Loading /> : null}
      <ErrorNote error={data.error} />
      {data.data ? (
        <div className="chart-grid">
          <figure className="card">
            <figcaption>Deliveries by outcome{data.data.truncated ? ` (latest ${PAGE * MAX_PAGES})` : ""}</figcaption>
            <OutcomeChart buckets={buckets} />
          </figure>
          <figure className="card">
            <figcaption>Attempt latency (attempts of the latest {data.data.sampled} deliveries)</figcaption>
            <LatencyChart durations={data.data.durations} />
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
        {buckets.length > 0 ? (
          <>
            <text x={PAD.left} y={H - 6} className="tick">
              {label(buckets[0].start)}
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

function LatencyChart({ durations }: { durations: number[] }) {
  const stats = latencyStats(durations);
  if (!stats) return <p className="muted">No attempts in this range.</p>;
  const bars = latencyHistogram(durations);
  const max = Math.max(1, ...bars.map((b) => b.count));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const bw = innerW / bars.length;
  return (
    <>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label={`Attempt latency: median ${formatMs(stats.p50)}, 90th percentile ${formatMs(stats.p90)}, slowest ${formatMs(stats.max)}`}>
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
        {stats.count} attempts · median {formatMs(stats.p50)} · p90 {formatMs(stats.p90)} · p99 {formatMs(stats.p99)} · max {formatMs(stats.max)}
      </p>
    </>
  );
}
