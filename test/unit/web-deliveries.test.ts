import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  applyFilter,
  bucketByOutcome,
  emptyFilter,
  formatMs,
  latencyHistogram,
  latencyStats,
  reachedSince,
  relativeTime,
  typeMatches,
} from "../../web/src/lib/deliveries.ts";

const T0 = Date.parse("2025-01-01T00:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const d = (status: string, eventType: string, minutes: number) => ({ status, eventType, createdAt: at(minutes) });

describe("web console: delivery log filters", () => {
  it("matches event types by name, prefix.* or *", () => {
    assert.ok(typeMatches("", "alert.fired"));
    assert.ok(typeMatches("*", "alert.fired"));
    assert.ok(typeMatches("alert.*", "alert.fired"));
    assert.ok(!typeMatches("alert.*", "alert"));
    assert.ok(!typeMatches("alert.*", "alerts.fired"));
    assert.ok(typeMatches(" alert.fired ", "alert.fired"));
    assert.ok(!typeMatches("alert.fired", "alert.fired.x"));
  });

  it("filters by status, type and time together", () => {
    const items = [d("succeeded", "alert.fired", 10), d("failed", "alert.fired", 5), d("failed", "leak", 1)];
    assert.equal(applyFilter(items, emptyFilter()).length, 3);
    assert.deepEqual(applyFilter(items, { status: "failed", type: "", since: null }), items.slice(1));
    assert.deepEqual(applyFilter(items, { status: "", type: "alert.*", since: T0 + 5 * 60_000 }), items.slice(0, 2));
  });

  it("knows when newest-first pages have gone past the start of the range", () => {
    assert.equal(reachedSince([d("pending", "a", 10), d("pending", "a", 4)], T0 + 5 * 60_000), true);
    assert.equal(reachedSince([d("pending", "a", 10), d("pending", "a", 5)], T0 + 5 * 60_000), false);
    assert.equal(reachedSince([], T0), false);
    assert.equal(reachedSince([d("pending", "a", 0)], null), false);
  });
});

describe("web console: charts", () => {
  it("counts deliveries by outcome in equal time slices and leaves out the rest", () => {
    const items = [d("succeeded", "a", 0), d("failed", "a", 29), d("pending", "a", 30), d("delivering", "a", 59), d("cancelled", "a", 59), d("succeeded", "a", 60), d("succeeded", "a", -1)];
    const b = bucketByOutcome(items, T0 + 60 * 60_000, 60 * 60_000, 2);
    assert.deepEqual(
      b.map((x) => x.counts),
      [
        { succeeded: 1, failed: 1, waiting: 0, cancelled: 0 },
        { succeeded: 0, failed: 0, waiting: 2, cancelled: 1 },
      ],
    );
    assert.equal(b[1].start, T0 + 30 * 60_000);
  });

  it("gives nearest-rank latency percentiles", () => {
    assert.equal(latencyStats([]), null);
    const ds = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual(latencyStats(ds), { count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    assert.deepEqual(latencyStats([7]), { count: 1, p50: 7, p90: 7, p99: 7, max: 7 });
  });

  it("sorts durations into histogram bars, the last one open-ended", () => {
    const bars = latencyHistogram([1, 10, 11, 5000, 20_000], [10, 100]);
    assert.equal(latencyHistogram([], [250, 2500])[1].label, "≤2.5s");
    assert.deepEqual(bars, [
      { label: "≤10ms", count: 2 },
      { label: "≤100ms", count: 1 },
      { label: ">100ms", count: 2 },
    ]);
  });

  it("formats durations and relative times", () => {
    assert.equal(formatMs(42), "42 ms");
    assert.equal(formatMs(2500), "2.5 s");
    assert.equal(formatMs(10_000), "10 s");
    assert.equal(relativeTime(null, T0), "never");
    assert.equal(relativeTime(at(-2), T0), "2 min ago");
    assert.equal(relativeTime(at(90), T0), "in 2 h");
    assert.equal(relativeTime(at(0), T0), "just now");
  });
});
