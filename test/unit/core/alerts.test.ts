import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AlertRow, shouldSend, stepAlert } from "../../../src/core/alerts.ts";

const open: AlertRow = { status: "open", startedAt: 1000, endedAt: null, updateCount: 2 };
const resolved: AlertRow = { status: "resolved", startedAt: 1000, endedAt: 5000, updateCount: 3 };

describe("stepAlert", () => {
  it("start opens an unknown or resolved alert, and counts as ongoing for an open one", () => {
    assert.deepEqual(stepAlert(null, "start", 9000), {
      state: "start",
      next: { status: "open", startedAt: 9000, endedAt: null, updateCount: 0 },
      repeatedEnd: false,
    });
    assert.deepEqual(stepAlert(resolved, "start", 9000).next, { status: "open", startedAt: 9000, endedAt: null, updateCount: 0 });
    assert.deepEqual(stepAlert(open, "start", 9000), { state: "ongoing", next: { ...open, updateCount: 3 }, repeatedEnd: false });
  });
  it("ongoing updates an open alert and opens an unknown one, keeping its state", () => {
    assert.deepEqual(stepAlert(open, "ongoing", 9000), { state: "ongoing", next: { ...open, updateCount: 3 }, repeatedEnd: false });
    const fresh = stepAlert(null, "ongoing", 9000);
    assert.equal(fresh.state, "ongoing");
    assert.deepEqual(fresh.next, { status: "open", startedAt: 9000, endedAt: null, updateCount: 0 });
  });
  it("end resolves an open alert, is delivered once for an unknown one, and not again for a resolved one", () => {
    assert.deepEqual(stepAlert(open, "end", 9000), {
      state: "end",
      next: { status: "resolved", startedAt: 1000, endedAt: 9000, updateCount: 3 },
      repeatedEnd: false,
    });
    assert.deepEqual(stepAlert(null, "end", 9000), {
      state: "end",
      next: { status: "resolved", startedAt: 9000, endedAt: 9000, updateCount: 0 },
      repeatedEnd: false,
    });
    const again = stepAlert(resolved, "end", 9000);
    assert.equal(again.repeatedEnd, true);
    assert.equal(again.next.endedAt, 5000, "the first end's time is kept");
  });
});

describe("shouldSend", () => {
  const l = { ongoingIntervalSec: 300, sendResolved: true };
  const ongoing = stepAlert(open, "ongoing", 0);
  it("throttles ongoing to one per interval since the last update sent; 0 sends every one", () => {
    assert.equal(shouldSend(l, ongoing, 1000, 1000 + 299_999), false);
    assert.equal(shouldSend(l, ongoing, 1000, 1000 + 300_000), true);
    assert.equal(shouldSend(l, ongoing, null, 5), true, "an endpoint that never got this alert gets the update");
    assert.equal(shouldSend({ ...l, ongoingIntervalSec: 0 }, ongoing, 1000, 1000), true);
  });
  it("always sends start; sends end only with sendResolved; never a repeated end", () => {
    assert.equal(shouldSend(l, stepAlert(null, "start", 0), 1000, 1001), true);
    assert.equal(shouldSend(l, stepAlert(open, "end", 0), 1000, 1001), true);
    assert.equal(shouldSend({ ...l, sendResolved: false }, stepAlert(open, "end", 0), 1000, 1001), false);
    assert.equal(shouldSend(l, stepAlert(resolved, "end", 0), null, 1001), false);
  });
});
