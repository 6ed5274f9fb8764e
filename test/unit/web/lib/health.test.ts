import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type EndpointHealthFacts, countByHealth, healthBadge, untilText, waitingText } from "../../../../web/src/lib/health.ts";

const T0 = Date.parse("2026-01-05T10:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const ep = (status: string, health: Partial<EndpointHealthFacts["health"]> = {}): EndpointHealthFacts => ({
  status,
  health: { status: "healthy", circuit: "closed", circuitUntil: null, ...health },
});

describe("web console: endpoint health in words", () => {
  it("is active only while the health is healthy or unknown", () => {
    assert.equal(healthBadge(ep("active"), T0).label, "active");
    assert.equal(healthBadge(ep("active", { status: "unknown" }), T0).tone, "active");
    assert.deepEqual(
      ["degraded", "failing"].map((s) => healthBadge(ep(s === "failing" ? "failing" : "active", { status: s as "degraded" }), T0).tone),
      ["degraded", "failing"],
    );
  });

  it("says when the next probe goes while the circuit is open", () => {
    const b = healthBadge(ep("failing", { status: "failing", circuit: "open", circuitUntil: at(90) }), T0, "UTC");
    assert.equal(b.tone, "failing");
    assert.match(b.label, /^circuit open — next probe at 10:01:30( AM)?$/);
    assert.match(b.detail ?? "", /in 2 min/);
  });

  it("puts disabled and validation states first, whatever the health", () => {
    assert.equal(healthBadge(ep("disabled", { status: "failing", circuit: "open", circuitUntil: at(10) }), T0).label, "disabled");
    assert.equal(healthBadge(ep("validation_failed"), T0).label, "validation failed");
  });

  it("counts the overview by badge, so a failing endpoint is not counted active", () => {
    const list = [
      ep("active"),
      ep("active", { status: "failing" }),
      ep("failing", { status: "failing", circuit: "open", circuitUntil: at(5) }),
      ep("active", { status: "degraded" }),
      ep("disabled"),
    ];
    assert.deepEqual(countByHealth(list, T0), [
      ["active", 1],
      ["degraded", 1],
      ["failing", 2],
      ["disabled", 1],
    ]);
  });
});

describe("web console: what a delivery waits for", () => {
  it("never says a time in the past", () => {
    assert.equal(untilText(at(-8), T0), "any moment now");
    assert.equal(untilText(at(5), T0), "in 5 s");
    assert.equal(untilText(at(240), T0), "in 4 min");
  });

  it("names the reason and the time", () => {
    // The clock time is the browser's locale (10:00:05 or 10:00:05 AM).
    assert.match(waitingText({ reason: "retry", until: at(5) }, T0, "UTC"), /^retry at 10:00:05( AM)? \(in 5 s\)$/);
    assert.match(waitingText({ reason: "circuit_open", until: at(60) }, T0, "UTC"), /^waiting: circuit open until 10:01:00( AM)? \(in 1 min\)$/);
    assert.match(waitingText({ reason: "rate_limit", until: at(2) }, T0, "UTC"), /^waiting: rate limit, next at 10:00:02( AM)? \(in 2 s\)$/);
    assert.match(waitingText({ reason: "batch", until: at(1) }, T0, "UTC"), /^sent with its batch at 10:00:01( AM)? \(in 1 s\)$/);
    assert.equal(waitingText({ reason: "endpoint_disabled", until: null }, T0), "waiting: the webhook is disabled");
    assert.equal(waitingText({ reason: "sending", until: null }, T0), "being sent now");
    assert.equal(waitingText({ reason: "queue", until: null }, T0), "due now, waiting for a sender");
  });
});
