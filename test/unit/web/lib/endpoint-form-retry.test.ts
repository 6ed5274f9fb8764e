import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDurationMs, parseDurationText, parseRetryFields, retrySummary, retryToFields } from "../../../../web/src/lib/endpoint-form-retry.ts";

describe("the endpoint form's retries", () => {
  it("reads and writes durations in the units the CLI and TOCSIN_RETRY_SCHEDULE use", () => {
    assert.equal(parseDurationText("5s"), 5000);
    assert.equal(parseDurationText(" 1.5m "), 90_000);
    assert.equal(parseDurationText("200ms"), 200);
    assert.equal(parseDurationText("5"), null);
    assert.equal(parseDurationText("5 seconds"), null);
    assert.deepEqual([300_000, 1500, 86_400_000, 7_200_000, 90_000].map(formatDurationMs), ["5m", "1500ms", "1d", "2h", "90s"]);
  });

  it("makes null of blank fields (the server's policy), and the whole document otherwise", () => {
    const errors = {};
    assert.equal(parseRetryFields({ retrySchedule: " ", retryMaxAttempts: "", retryMaxAge: "" }, errors), null);
    assert.deepEqual(parseRetryFields({ retrySchedule: "5s, 5m,30m", retryMaxAttempts: "", retryMaxAge: "" }, errors), {
      scheduleMs: [5000, 300_000, 1_800_000],
      maxAttempts: null,
      maxAgeMs: null,
    });
    assert.deepEqual(parseRetryFields({ retrySchedule: "", retryMaxAttempts: "4", retryMaxAge: "2d" }, errors), {
      scheduleMs: null,
      maxAttempts: 4,
      maxAgeMs: 172_800_000,
    });
    assert.deepEqual(errors, {});
  });

  it("names each field it cannot read", () => {
    const errors: Record<string, string> = {};
    parseRetryFields({ retrySchedule: "5s, soon", retryMaxAttempts: "0", retryMaxAge: "2 days" }, errors);
    assert.match(errors.retrySchedule!, /"soon" is not a duration/);
    assert.match(errors.retryMaxAttempts!, /from 1 to 50/);
    assert.match(errors.retryMaxAge!, /"2 days" is not a duration/);
  });

  it("fills the fields from an endpoint and sums them up in a line", () => {
    const r = { scheduleMs: [5000, 300_000], maxAttempts: 6, maxAgeMs: 172_800_000 };
    assert.deepEqual(retryToFields(r), { retrySchedule: "5s, 5m", retryMaxAttempts: "6", retryMaxAge: "2d" });
    assert.deepEqual(retryToFields(null), { retrySchedule: "", retryMaxAttempts: "", retryMaxAge: "" });
    assert.equal(retrySummary(r), "5s, 5m; 6 attempts in all; until 2d after the event");
    assert.equal(retrySummary({ scheduleMs: null, maxAttempts: 1, maxAgeMs: null }), "server's delays; 1 attempt in all");
    assert.equal(retrySummary(null), "server default");
  });
});
