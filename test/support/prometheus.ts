import assert from "node:assert/strict";
import { type PromData, type PromHistogramData, type PromMetrics, getMetricsFromIterator } from "prom2javascript";

export type { PromMetrics };

// prom-client writes NaN (as "Nan") for the default event-loop-lag gauges when the sampler has no
// sample since the last scrape; Prometheus reads it, but this parser's number grammar has no NaN.
const NAN_SAMPLE = /^(\w+)(?:\{.*\})?\s+nan$/i;
const MAY_BE_NAN = /^tocsin_nodejs_eventloop_lag_/;

/**
 * Parses the text exposition format with a Prometheus parser, which throws on any line it cannot
 * read. NaN samples are only allowed for the default event-loop-lag gauges, and left out.
 */
export function parseExposition(text: string): Promise<PromMetrics> {
  const lines = text.split("\n").filter((line) => {
    const nan = NAN_SAMPLE.exec(line.trim());
    if (nan) assert.match(nan[1], MAY_BE_NAN, `NaN sample: ${line}`);
    return !nan;
  });
  return getMetricsFromIterator(lines[Symbol.iterator]());
}

/** GET /metrics at `baseUrl`, asserting a 200 in the Prometheus text format, parsed. */
export async function scrape(baseUrl: string, token?: string): Promise<PromMetrics> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseExposition(text);
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

/** The series of a counter or gauge family (empty when the family is absent). */
export function series(m: PromMetrics, name: string): PromData[] {
  const family = m[name];
  if (!family) return [];
  assert.ok(family.type === "counter" || family.type === "gauge", `${name} is a ${family.type}`);
  return family.data as PromData[];
}

/** The value of the one series of `name` with exactly `labels`; undefined when there is none. */
export function value(m: PromMetrics, name: string, labels: Record<string, string> = {}): number | undefined {
  return series(m, name).find((s) => sameLabels(s.labels, labels))?.value;
}

/** The sum over every series of `name`. */
export function total(m: PromMetrics, name: string): number {
  return series(m, name).reduce((n, s) => n + s.value, 0);
}

/** The series of a histogram family (empty when absent). */
export function histogram(m: PromMetrics, name: string): PromHistogramData[] {
  const family = m[name];
  if (!family) return [];
  assert.equal(family.type, "histogram", `${name} is a ${family.type}`);
  return family.data as PromHistogramData[];
}
