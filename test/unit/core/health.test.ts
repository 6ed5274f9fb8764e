import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_HEALTH_POLICY,
  type HealthNotice,
  type HealthPolicy,
  type HealthState,
  INITIAL_HEALTH,
  circuitRoom,
  cooldownFor,
  type EndpointGateState,
  FAILING_STREAK,
  healthStatus,
  healthView,
  recordAttempt,
  refillTokens,
  retryNowBlocked,
  waitingFor,
} from "../../../src/core/health.ts";

const P: HealthPolicy = { ...DEFAULT_HEALTH_POLICY };
const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

/** Feeds results (true: success) one second apart from `start`; returns the state and every notice. */
function feed(results: boolean[], p: HealthPolicy = P, start = T0, h: HealthState = { ...INITIAL_HEALTH }, spacingMs = 1000) {
  const notices: { at: number; n: HealthNotice }[] = [];
  results.forEach((ok, i) => {
    const at = start + i * spacingMs;
    const r = recordAttempt(h, { ok, reason: ok ? null : "HTTP 503", at, id: `dlv_${i}` }, p);
    h = r.next;
    for (const n of r.notices) notices.push({ at, n });
  });
  return { h, notices };
}

describe("endpoint health: opening the circuit", () => {
  it("opens after exactly N consecutive failures and says failing once", () => {
    const before = feed(Array(P.failures - 1).fill(false));
    assert.equal(before.h.circuit, "closed");
    assert.equal(before.h.consecutiveFailures, P.failures - 1);
    assert.deepEqual(before.notices, []);
    const { h, notices } = feed(Array(P.failures).fill(false));
    assert.equal(h.circuit, "open");
    assert.equal(h.trips, 1);
    assert.equal(h.circuitUntil, T0 + (P.failures - 1) * 1000 + P.cooldownMs);
    assert.deepEqual(notices, [{ at: T0 + (P.failures - 1) * 1000, n: "failing" }]);
    assert.equal(h.failingSince, T0);
    assert.equal(h.lastFailureReason, "HTTP 503");
  });

  it("a success in between restarts the count", () => {
    const seq = [...Array(P.failures - 1).fill(false), true, ...Array(P.failures - 1).fill(false)];
    const { h, notices } = feed(seq);
    assert.equal(h.circuit, "closed");
    assert.equal(h.consecutiveFailures, P.failures - 1);
    assert.deepEqual(notices, []);
  });

  it("opens at X % failures among the last M attempts, even without a long streak", () => {
    // Alternating: never two failures in a row, 50 % failed.
    const alternating = Array.from({ length: P.sample }, (_, i) => i % 2 === 0);
    const { h, notices } = feed(alternating.slice(0, P.sample - 1));
    assert.equal(h.circuit, "closed", "fewer than M attempts: the rate rule does not apply yet");
    assert.deepEqual(notices, []);
    const full = feed([...alternating.slice(0, P.sample - 1), false]);
    assert.equal(full.h.circuit, "open");
    assert.deepEqual(
      full.notices.map((x) => x.n),
      ["failing"],
    );
  });

  it("below X % stays closed", () => {
    const seq = Array.from({ length: 60 }, (_, i) => i % 3 !== 0); // a third failed
    const { h } = feed(seq);
    assert.equal(h.circuit, "closed");
    assert.equal(h.recent.length, P.sample, "keeps only the last M attempts");
  });

  it("attempts older than the window do not count towards the rate", () => {
    // 19 failures spread over far more than the window, with successes between: never M within it.
    const p = { ...P, failures: 0 };
    const { h } = feed(
      Array.from({ length: 40 }, (_, i) => i % 2 === 1),
      p,
      T0,
      { ...INITIAL_HEALTH },
      P.windowMs / 10,
    );
    assert.equal(h.circuit, "closed");
    assert.ok(h.recent.length <= 10, `kept ${h.recent.length}`);
  });

  it("either rule can be turned off", () => {
    const { h } = feed(Array(50).fill(false), { ...P, failures: 0, failureRatePct: 0 });
    assert.equal(h.circuit, "closed");
    assert.equal(h.consecutiveFailures, 50);
  });
});

describe("endpoint health: probes, cool-down and recovery", () => {
  const opened = () => feed(Array(P.failures).fill(false)).h;

  it("a failure of an attempt that was already in flight does not extend the cool-down", () => {
    const h = opened();
    const r = recordAttempt(h, { ok: false, reason: "HTTP 503", at: T0 + 60_000, id: "dlv_straggler" }, P);
    assert.equal(r.next.circuit, "open");
    assert.equal(r.next.circuitUntil, h.circuitUntil);
    assert.equal(r.next.trips, 1);
    assert.deepEqual(r.notices, []);
  });

  it("a failed probe reopens with a doubled cool-down, up to the maximum", () => {
    let h = opened();
    const seen: number[] = [];
    let at = h.circuitUntil!;
    for (let i = 0; i < 12; i++) {
      h = { ...h, circuit: "half_open", probeId: `probe_${i}` };
      const r = recordAttempt(h, { ok: false, reason: "HTTP 503", at, id: `probe_${i}` }, P);
      assert.deepEqual(r.notices, [], "failing is said once, when the circuit first opens");
      h = r.next;
      assert.equal(h.circuit, "open");
      seen.push(h.circuitUntil! - at);
      at = h.circuitUntil!;
    }
    assert.deepEqual(seen.slice(0, 4), [60_000, 120_000, 240_000, 480_000]);
    assert.equal(Math.max(...seen), P.maxCooldownMs);
    assert.equal(seen.at(-1), P.maxCooldownMs);
    assert.equal(cooldownFor(1, P), P.cooldownMs);
    assert.equal(cooldownFor(1000, P), P.maxCooldownMs);
  });

  it("a successful probe closes the circuit and says recovered", () => {
    const h = { ...opened(), circuit: "half_open" as const, probeId: "probe" };
    const r = recordAttempt(h, { ok: true, reason: null, at: T0 + 120_000, id: "probe" }, P);
    assert.equal(r.next.circuit, "closed");
    assert.equal(r.next.trips, 0);
    assert.equal(r.next.consecutiveFailures, 0);
    assert.equal(r.next.failingSince, null);
    assert.equal(r.next.lastSuccessAt, T0 + 120_000);
    assert.deepEqual(r.notices, ["recovered"]);
  });

  it("circuitRoom: unlimited when closed, nothing while cooling down, one probe at a time after", () => {
    const h = opened();
    assert.equal(circuitRoom(null, 5, T0), Number.POSITIVE_INFINITY);
    assert.equal(circuitRoom({ circuit: "closed", circuitUntil: null }, 5, T0), Number.POSITIVE_INFINITY);
    assert.equal(circuitRoom(h, 0, h.circuitUntil! - 1), 0);
    assert.equal(circuitRoom(h, 0, h.circuitUntil!), 1);
    assert.equal(circuitRoom(h, 1, h.circuitUntil!), 0, "stragglers still in flight: wait for them");
    assert.equal(circuitRoom({ circuit: "half_open", circuitUntil: null }, 0, T0), 1, "a lost probe is replaced");
    assert.equal(circuitRoom({ circuit: "half_open", circuitUntil: null }, 1, T0), 0);
  });
});

describe("endpoint health: auto-disable", () => {
  it("disables after failing without a success for disableAfterMs, not a moment before", () => {
    let h = feed([false]).h;
    const almost = recordAttempt(h, { ok: false, reason: "HTTP 500", at: T0 + 5 * DAY - 1, id: "x" }, P);
    assert.deepEqual(almost.notices, []);
    h = almost.next;
    const r = recordAttempt(h, { ok: false, reason: "HTTP 500", at: T0 + 5 * DAY, id: "y" }, P);
    assert.deepEqual(r.notices, ["disabled"]);
    assert.equal(healthView(h, T0 + DAY, P).disableAt, T0 + 5 * DAY);
  });

  it("one success restarts the clock", () => {
    const h = feed([false, false, true, false]).h;
    assert.equal(h.failingSince, T0 + 3000);
    const r = recordAttempt(h, { ok: false, reason: "HTTP 500", at: T0 + 5 * DAY, id: "y" }, P);
    assert.deepEqual(r.notices, []);
  });

  it("0 never disables", () => {
    const h = feed([false]).h;
    const r = recordAttempt(h, { ok: false, reason: "HTTP 500", at: T0 + 365 * DAY, id: "y" }, { ...P, disableAfterMs: 0 });
    assert.ok(!r.notices.includes("disabled"));
    assert.equal(healthView(r.next, T0, { ...P, disableAfterMs: 0 }).disableAt, null);
  });
});

describe("endpoint health: the view and the rate-limit bucket", () => {
  it("reports the success rate over the window only", () => {
    const { h } = feed([true, true, true, false]);
    const v = healthView(h, T0 + 4000, P);
    assert.equal(v.successRate, 0.75);
    assert.equal(v.windowAttempts, 4);
    assert.equal(v.windowFailures, 1);
    assert.equal(healthView(h, T0 + P.windowMs + 10_000, P).successRate, null, "nothing recent: no rate");
    assert.equal(healthView(null, T0, P).circuit, "closed");
  });

  it("refills at the rate up to the burst", () => {
    assert.equal(refillTokens(null, null, 10, 5, T0), 5, "a new bucket is full");
    assert.equal(refillTokens(0, T0, 10, 5, T0 + 100), 1);
    assert.equal(refillTokens(0, T0, 10, 5, T0 + 10_000), 5);
    assert.equal(refillTokens(2, T0, 0.5, 3, T0 + 1000), 2.5);
    assert.equal(refillTokens(1, T0, 10, 5, T0 - 1000), 1, "a clock going back adds nothing");
  });
});

describe("health status", () => {
  const status = (results: boolean[], at = T0 + results.length * 1000) => healthView(feed(results).h, at, P).status;

  it("is unknown before any attempt, healthy while attempts succeed", () => {
    assert.equal(healthView(null, T0, P).status, "unknown");
    assert.equal(status([true, true, true]), "healthy");
    assert.equal(status([true], T0 + DAY), "healthy", "a quiet endpoint whose last attempt succeeded stays healthy");
  });

  it("is failing once FAILING_STREAK attempts in a row failed, though the circuit is still closed", () => {
    const h = feed(Array<boolean>(FAILING_STREAK).fill(false)).h;
    assert.equal(h.circuit, "closed");
    assert.equal(healthView(h, T0 + 5000, P).status, "failing");
    assert.equal(status([true, true, ...Array<boolean>(FAILING_STREAK).fill(false)]), "failing");
  });

  it("is failing while the circuit is open or half-open, whatever the streak", () => {
    const v = healthView(null, T0, P);
    assert.equal(healthStatus({ ...v, circuit: "open" }), "failing");
    assert.equal(healthStatus({ ...v, circuit: "half_open", lastSuccessAt: T0 }), "failing");
  });

  it("is degraded when the latest attempt failed, or under 90 % of the recent attempts succeeded", () => {
    assert.equal(status([true, true, false]), "degraded");
    assert.equal(status([false]), "degraded", "one failed attempt, nothing else");
    assert.equal(status([false, false, true, true, true, true, true, true, true, true]), "degraded", "80 % with the last one fine");
    assert.equal(status([false, ...Array<boolean>(9).fill(true)]), "healthy", "90 %");
  });
});

describe("what a delivery waits for", () => {
  const G: EndpointGateState = {
    enabled: true,
    validationStatus: "none",
    batching: false,
    circuit: "closed",
    circuitUntil: null,
    rateLimit: null,
    tokens: null,
    tokensAt: null,
  };
  const pending = { status: "pending", attempts: 0, nextAttemptAt: T0, batchId: null };

  it("is nothing once settled, and the send itself while delivering", () => {
    for (const status of ["succeeded", "failed", "cancelled"]) assert.equal(waitingFor({ ...pending, status }, G, T0), null);
    assert.deepEqual(waitingFor({ ...pending, status: "delivering" }, G, T0), { reason: "sending", until: null });
  });

  it("is a free sender when due now, never a time in the past", () => {
    assert.deepEqual(waitingFor({ ...pending, nextAttemptAt: T0 - 8000 }, G, T0), { reason: "queue", until: null });
  });

  it("names the endpoint when it is disabled or not validated", () => {
    assert.deepEqual(waitingFor(pending, { ...G, enabled: false }, T0), { reason: "endpoint_disabled", until: null });
    assert.deepEqual(waitingFor(pending, { ...G, validationStatus: "failed" }, T0), { reason: "endpoint_validation", until: null });
  });

  it("is the retry or the batch at its time, or the open circuit when that ends later", () => {
    const retrying = { ...pending, attempts: 2, nextAttemptAt: T0 + 5000 };
    assert.deepEqual(waitingFor(retrying, G, T0), { reason: "retry", until: T0 + 5000 });
    assert.deepEqual(waitingFor({ ...pending, nextAttemptAt: T0 + 900 }, { ...G, batching: true }, T0), { reason: "batch", until: T0 + 900 });
    const open = { ...G, circuit: "open" as const, circuitUntil: T0 + 30_000 };
    assert.deepEqual(waitingFor(retrying, open, T0), { reason: "circuit_open", until: T0 + 30_000 });
    assert.deepEqual(waitingFor({ ...retrying, nextAttemptAt: T0 + 60_000 }, open, T0), { reason: "retry", until: T0 + 60_000 });
    assert.deepEqual(waitingFor(pending, { ...open, circuitUntil: T0 - 1 }, T0), { reason: "circuit_probe", until: null }, "cool-down over");
  });

  it("is the rate limit, until the bucket holds a whole token", () => {
    const limited = { ...G, rateLimit: { perSecond: 2, burst: 1 }, tokens: 0, tokensAt: T0 - 100 };
    assert.deepEqual(waitingFor(pending, limited, T0), { reason: "rate_limit", until: T0 + 400 });
    assert.deepEqual(waitingFor(pending, { ...limited, tokensAt: T0 - 600 }, T0), { reason: "queue", until: null });
  });

  it("blocks retry-now only while the circuit is open or the rate limit holds", () => {
    assert.equal(retryNowBlocked(G, T0), null);
    assert.deepEqual(retryNowBlocked({ ...G, circuit: "open", circuitUntil: T0 + 10 }, T0), { reason: "circuit_open", until: T0 + 10 });
    assert.equal(retryNowBlocked({ ...G, circuit: "half_open", circuitUntil: null }, T0), null);
    assert.deepEqual(retryNowBlocked({ ...G, rateLimit: { perSecond: 1, burst: 1 }, tokens: 0.5, tokensAt: T0 }, T0), {
      reason: "rate_limit",
      until: T0 + 500,
    });
  });
  it("follows a failing endpoint's deliveries to its fallback while the fallback may send, one hop only", () => {
    const open = { ...G, circuit: "open" as const, circuitUntil: T0 + 10_000 };
    const limited = { ...G, rateLimit: { perSecond: 2, burst: 1 }, tokens: 0, tokensAt: T0 - 100 };
    // Open circuit: the fallback's gate (here its rate limit) decides, and retry-now is not blocked by the circuit.
    assert.deepEqual(waitingFor(pending, { ...open, fallback: G }, T0), { reason: "queue", until: null });
    assert.deepEqual(waitingFor(pending, { ...open, fallback: limited }, T0), { reason: "rate_limit", until: T0 + 400 });
    assert.equal(retryNowBlocked({ ...open, fallback: G }, T0), null);
    // Disabled for failing or by a 410: the fallback; by a person: it waits.
    assert.deepEqual(waitingFor(pending, { ...G, enabled: false, disabledReason: "gone", fallback: G }, T0), { reason: "queue", until: null });
    assert.deepEqual(waitingFor(pending, { ...G, enabled: false, disabledReason: "manual", fallback: G }, T0), { reason: "endpoint_disabled", until: null });
    // The fallback open or disabled: its own circuit holds it, whatever the fallback's fallback.
    const fallbackOpen = { ...open, fallback: G };
    assert.deepEqual(waitingFor(pending, { ...open, fallback: fallbackOpen }, T0), { reason: "circuit_open", until: T0 + 10_000 });
    assert.deepEqual(waitingFor(pending, { ...open, fallback: { ...G, enabled: false } }, T0), { reason: "circuit_open", until: T0 + 10_000 });
    // A batch formed for the endpoint waits for it.
    assert.deepEqual(waitingFor({ ...pending, batchId: "bat_1" }, { ...open, fallback: G }, T0), { reason: "circuit_open", until: T0 + 10_000 });
  });
});
