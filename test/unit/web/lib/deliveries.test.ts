import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CHART_RANGES,
  axisTicks,
  bucketRangeLabel,
  chartRangeOf,
  deliveryQuery,
  emptyFilter,
  formatBytes,
  formatMs,
  filledSpan,
  fittedRange,
  latencyBarLabel,
  logSearchChanges,
  logSearchOf,
  relativeTime,
  retryFailedBody,
  tickLabel,
  typeFilterError,
} from "../../../../web/src/lib/deliveries.ts";

const T0 = Date.parse("2025-01-01T00:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe("web console: delivery log filters", () => {
  it("sends no filter for an empty form, and each field as the API's query field", () => {
    assert.deepEqual(deliveryQuery(emptyFilter(), T0), {});
    assert.deepEqual(deliveryQuery({ status: "failed", type: " alert.* ", withinMs: 3_600_000 }, T0), {
      status: "failed",
      eventType: "alert.*",
      since: at(-60),
    });
    assert.deepEqual(deliveryQuery({ status: "", type: "scan.done", withinMs: null }, T0), { eventType: "scan.done" });
  });

  it("treats * as any type and leaves out a type the API would refuse (the form says why)", () => {
    assert.deepEqual(deliveryQuery({ status: "", type: "*", withinMs: null }, T0), {});
    assert.deepEqual(deliveryQuery({ status: "", type: "alert fired", withinMs: null }, T0), {});
    assert.equal(typeFilterError("alert fired"), "Use an event type (alert.fired), a family (alert.*) or * for any.");
    for (const ok of ["", "*", "alert", "alert.fired", "alert.*", "my_app.v-2.*", "  alert.*  "]) assert.equal(typeFilterError(ok), null, ok);
    for (const bad of ["alert.", ".alert", "alert.*.x", "a**", "al ert", "alert.fired*"]) assert.notEqual(typeFilterError(bad), null, bad);
  });
});

describe("web console: charts", () => {
  it("cuts every range into whole buckets within the API's bounds (at most 200, at most 31 days)", () => {
    for (const r of CHART_RANGES) {
      assert.ok(r.buckets >= 1 && r.buckets <= 200, r.value);
      assert.ok(r.ms <= 31 * 86_400_000, r.value);
      assert.equal(r.ms % r.buckets, 0, `${r.value}: buckets of a whole number of ms`);
    }
  });

  it("labels histogram bars by their upper bound, the last one open-ended", () => {
    assert.equal(latencyBarLabel(10, 10_000), "≤10ms");
    assert.equal(latencyBarLabel(2500, 10_000), "≤2.5s");
    assert.equal(latencyBarLabel(null, 10_000), ">10s");
  });

  it("formats durations, sizes and relative times", () => {
    assert.equal(formatMs(42), "42 ms");
    assert.equal(formatMs(2500), "2.5 s");
    assert.equal(formatMs(10_000), "10 s");
    assert.equal(formatMs(null), "—");
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(40_000), "39 KiB");
    assert.equal(formatBytes(3 * 1024 * 1024), "3.0 MiB");
    assert.equal(relativeTime(null, T0), "never");
    assert.equal(relativeTime(at(-2), T0), "2 min ago");
    assert.equal(relativeTime(at(90), T0), "in 2 h");
    assert.equal(relativeTime(at(0), T0), "just now");
  });
});

describe("web console: the log's filters in the address, and Retry all failed", () => {
  it("reads the filters from the query string, dropping values the log does not offer", () => {
    assert.deepEqual(logSearchOf("status=failed&type=alert.*&since=1h&endpoint=ep_1&event=evt_2"), {
      status: "failed",
      type: "alert.*",
      since: "1h",
      endpoint: "ep_1",
      event: "evt_2",
    });
    assert.deepEqual(logSearchOf("status=bogus&since=9y"), { status: "", type: "", since: "", endpoint: "", event: "" });
    assert.deepEqual(logSearchChanges({ status: "", since: "24h" }), { status: null, since: "24h" });
  });

  it("asks to retry the failed deliveries of the log's endpoint, type and time, not its status", () => {
    assert.deepEqual(retryFailedBody({ type: "", withinMs: null }, T0), {});
    assert.deepEqual(retryFailedBody({ endpointId: "ep_1", type: " alert.* ", withinMs: 3_600_000 }, T0), {
      endpointId: "ep_1",
      eventType: "alert.*",
      since: at(-60),
      until: at(0),
    });
    assert.deepEqual(retryFailedBody({ type: "*", withinMs: null }, T0), {}, "* is any type");
  });
});

describe("web console: chart ranges and axes", () => {
  it("opens on the shortest range that holds the newest delivery", () => {
    assert.equal(fittedRange(null), "24h");
    assert.equal(fittedRange(5 * 60_000), "1h");
    assert.equal(fittedRange(3_600_000), "1h", "the last hourly bucket of a day is within the hour");
    assert.equal(fittedRange(3 * 3_600_000), "24h");
    assert.equal(fittedRange(86_400_000), "24h");
    assert.equal(fittedRange(2 * 86_400_000), "7d");
    assert.equal(fittedRange(20 * 86_400_000), "30d");
    assert.equal(fittedRange(90 * 86_400_000), "30d");
    const none = { succeeded: 0, failed: 0, waiting: 0, cancelled: 0, suppressed: 0 };
    assert.equal(filledSpan([{ counts: none }, { counts: none }], 60_000), null);
    assert.equal(filledSpan([{ counts: none }, { counts: { ...none, failed: 1 } }, { counts: { ...none, succeeded: 3 } }], 3_600_000), 2 * 3_600_000);
    assert.equal(chartRangeOf("7d")?.buckets, 28);
    assert.equal(chartRangeOf("nope"), null);
  });

  it("puts ticks on bucket edges, first to last", () => {
    const r = CHART_RANGES[1];
    const ticks = axisTicks(T0, r.ms / r.buckets, r.buckets);
    assert.equal(ticks[0], T0);
    assert.equal(ticks[ticks.length - 1], T0 + r.ms);
    assert.ok(ticks.length >= 4 && ticks.length <= 8, `${ticks.length} ticks`);
    for (const t of ticks) assert.equal((t - T0) % (r.ms / r.buckets), 0);
  });

  it("labels ticks with times, and each bar with the time range it covers", () => {
    assert.match(tickLabel(T0 + 13.5 * 3_600_000, 86_400_000, "UTC"), /1:30|13:30/);
    assert.match(tickLabel(T0 + 3 * 86_400_000, 30 * 86_400_000, "UTC"), /Jan 4|4 Jan/);
    assert.match(bucketRangeLabel(T0 + 3_600_000, 300_000, "UTC"), /^Jan 1, .*1:00.* – .*1:05/);
    assert.match(bucketRangeLabel(T0 - 3_600_000, 2 * 3_600_000, "UTC"), /Dec 31, .* – Jan 1, /);
  });
});
