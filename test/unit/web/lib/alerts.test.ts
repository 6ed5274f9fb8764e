import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { durationText } from "../../../../web/src/lib/deliveries.ts";

describe("web console: alert durations", () => {
  it("says a duration in at most two units, rounded down past the first", () => {
    assert.equal(durationText(0), "0 s");
    assert.equal(durationText(44_600), "45 s");
    assert.equal(durationText(12 * 60_000 + 59_000), "12 min");
    assert.equal(durationText(3 * 3_600_000), "3 h");
    assert.equal(durationText(3 * 3_600_000 + 5 * 60_000 + 30_000), "3 h 5 min");
    assert.equal(durationText(2 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000), "2 d 4 h");
    assert.equal(durationText(-5), "0 s");
  });
});
