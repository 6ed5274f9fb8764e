import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestStep, groupByProblem, groupKey, groupPath, openWindow } from "../../../src/core/digest.ts";

describe("core: digests", () => {
  const s = { windowSec: 60, maxEvents: 10, groupBy: "fingerprint" };

  it("opens a window when none is open, folds inside it, and opens the next one at its end", () => {
    assert.equal(digestStep(null, 1000), "open");
    const w = openWindow(s, 1000);
    assert.deepEqual(w, { start: 1000, end: 61_000, digestId: null });
    assert.equal(digestStep(w, 1000), "fold");
    assert.equal(digestStep(w, 60_999), "fold");
    assert.equal(digestStep(w, 61_000), "open", "the end is not in the window");
    assert.equal(digestStep(w, 999), "fold", "a clock a little behind still folds");
  });

  it("keys by fingerprint, or by the text of a payload value; none when it is missing or null", () => {
    const payload = { host: "web-1", port: 8080, tags: ["a", "b"], nested: { on: true }, gone: null };
    const key = (groupBy: string, fp: string | null = null) => groupKey(groupPath(groupBy), fp, () => payload);
    assert.equal(key("fingerprint", "db-1"), "db-1");
    assert.equal(key("fingerprint"), null, "no fingerprint: not digested");
    assert.equal(key("payload.host", "db-1"), "web-1");
    assert.equal(key("payload.port"), "8080");
    assert.equal(key("payload.tags.1"), "b");
    assert.equal(key("payload.tags"), '["a","b"]');
    assert.equal(key("payload.nested.on"), "true");
    assert.equal(key("payload.gone"), null);
    assert.equal(key("payload.missing"), null);
    assert.equal(key("payload.host.deeper"), null);
    assert.match(
      groupKey(["v"], null, () => ({ v: "x".repeat(201) }))!,
      /^sha256:[0-9a-f]{64}$/,
    );
  });

  it("accepts fingerprint and payload paths only", () => {
    for (const ok of ["fingerprint", "payload.host", "payload.asset.host", "payload.tags.0"]) assert.equal(groupByProblem(ok), null, ok);
    for (const bad of ["host", "payload", "payload.", "payload..a", "type", 3, null]) assert.notEqual(groupByProblem(bad), null, String(bad));
  });
});
