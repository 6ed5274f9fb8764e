import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyResponse,
  DEFAULT_SCHEDULE_MS,
  decide,
  endpointRetryPolicy,
  minRetryStepMs,
  type Outcome,
  parseDuration,
  parseDurationList,
  parseRetryAfter,
  type RetryPolicy,
  retryBudgetMs,
  scheduleForAttempts,
} from "../../../src/core/retry-policy.ts";
import type { SendResult } from "../../../src/core/types.ts";

const NOW = Date.parse("2024-03-01T12:00:00.000Z");
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const policy: RetryPolicy = {
  scheduleMs: DEFAULT_SCHEDULE_MS,
  jitter: 0.1,
  retryAfterMinMs: 1000,
  retryAfterMaxMs: HOUR,
};

function response(statusCode: number | null, over: Partial<SendResult> = {}): SendResult {
  return { startedAt: NOW, durationMs: 12, statusCode, headers: {}, body: "", errorClass: null, errorMessage: null, ...over };
}

const noRandom = () => {
  throw new Error("random must not be used here");
};

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("DEFAULT_SCHEDULE_MS", () => {
  it("is 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    assert.deepEqual([...DEFAULT_SCHEDULE_MS], [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);
  });

  it("equals what parseDurationList makes of the documented default 5s,5m,30m,2h,5h,10h,10h", () => {
    assert.deepEqual(parseDurationList("5s,5m,30m,2h,5h,10h,10h"), [...DEFAULT_SCHEDULE_MS]);
  });
});

describe("classifyResponse", () => {
  it("treats every 2xx as delivered", () => {
    for (const status of [200, 201, 202, 204, 299]) {
      assert.deepEqual(classifyResponse(response(status), NOW), { kind: "delivered", status });
    }
  });

  it("asks to disable the endpoint on 410 Gone", () => {
    const out = classifyResponse(response(410), NOW);
    assert.equal(out.kind, "disable");
  });

  it("retries 1xx, 3xx (redirects are not followed), 4xx and 5xx as http_status errors", () => {
    for (const status of [100, 199, 300, 301, 302, 304, 307, 308, 400, 401, 403, 404, 409, 413, 429, 500, 502, 503, 504]) {
      assert.deepEqual(classifyResponse(response(status), NOW), { kind: "retry", reason: `HTTP ${status}`, errorClass: "http_status" }, `${status}`);
    }
  });

  it("retries a network failure, keeping its error class and message", () => {
    const out = classifyResponse(response(null, { headers: null, errorClass: "timeout_request", errorMessage: "no response in 15 s" }), NOW);
    assert.deepEqual(out, { kind: "retry", reason: "no response in 15 s", errorClass: "timeout_request" });
  });

  it("falls back to a connect error when a network failure carries no class or message", () => {
    assert.deepEqual(classifyResponse(response(null, { headers: null }), NOW), { kind: "retry", reason: "request failed", errorClass: "connect" });
  });

  it("reads Retry-After in seconds on 429 and 503", () => {
    for (const status of [429, 503]) {
      const out = classifyResponse(response(status, { headers: { "retry-after": "120" } }), NOW);
      assert.deepEqual(out, { kind: "retry", reason: `HTTP ${status}`, errorClass: "http_status", retryAfterMs: 120_000 });
    }
  });

  it("reads Retry-After as an HTTP-date on 429 and 503", () => {
    const date = new Date(NOW + 90 * SECOND).toUTCString();
    for (const status of [429, 503]) {
      const out = classifyResponse(response(status, { headers: { "retry-after": date } }), NOW);
      assert.equal(out.kind === "retry" && out.retryAfterMs, 90_000);
    }
  });

  it("ignores Retry-After on other statuses such as 500, 502 and 301", () => {
    for (const status of [500, 502, 301, 400]) {
      const out = classifyResponse(response(status, { headers: { "retry-after": "120" } }), NOW);
      assert.equal(out.kind, "retry");
      assert.equal("retryAfterMs" in out, false, `${status}`);
    }
  });

  it("leaves retryAfterMs unset on 429 without a usable Retry-After", () => {
    const cases: (Record<string, string> | null)[] = [null, {}, { "retry-after": "soon" }];
    for (const headers of cases) {
      const out = classifyResponse(response(429, { headers }), NOW);
      assert.equal("retryAfterMs" in out, false, JSON.stringify(headers));
    }
  });
});

describe("parseRetryAfter", () => {
  it("returns undefined when there is no header", () => {
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
  });

  it("reads delay-seconds, ignoring surrounding whitespace", () => {
    assert.equal(parseRetryAfter("0", NOW), 0);
    assert.equal(parseRetryAfter("2", NOW), 2000);
    assert.equal(parseRetryAfter(" 120 ", NOW), 120_000);
    assert.equal(parseRetryAfter("86400", NOW), 86_400_000);
  });

  it("reads an IMF-fixdate as the time remaining until it", () => {
    assert.equal(parseRetryAfter("Fri, 01 Mar 2024 12:05:00 GMT", NOW), 5 * MINUTE);
  });

  it("turns an HTTP-date in the past into 0", () => {
    assert.equal(parseRetryAfter("Fri, 01 Mar 2024 11:00:00 GMT", NOW), 0);
  });

  it("returns undefined for text that is neither delay-seconds nor a date", () => {
    for (const v of ["", "soon", "120s", "12345678901"]) {
      assert.equal(parseRetryAfter(v, NOW), undefined, JSON.stringify(v));
    }
  });

  // Fails against the current src: Date.parse is lenient and reads "1.5" as 2001-01-05 and "-5" as
  // the year -5, so these invalid values come back as 0 (retry at retryAfterMinMs) instead of being ignored.
  it("returns undefined for fractional or negative numbers, which are not valid Retry-After values", () => {
    for (const v of ["1.5", "-5"]) {
      assert.equal(parseRetryAfter(v, NOW), undefined, JSON.stringify(v));
    }
  });
});

describe("decide", () => {
  it("marks a delivered outcome as succeeded with nothing scheduled", () => {
    assert.deepEqual(decide({ kind: "delivered", status: 200 }, 1, policy, NOW, noRandom), {
      status: "succeeded",
      nextAttemptAt: null,
      disableEndpoint: null,
      willRetry: false,
    });
  });

  it("fails a 410 and disables its endpoint as gone, even on the first attempt", () => {
    const outcome = classifyResponse(response(410), NOW);
    assert.deepEqual(decide(outcome, 1, policy, NOW, noRandom), {
      status: "failed",
      nextAttemptAt: null,
      disableEndpoint: "gone",
      willRetry: false,
    });
  });

  it("schedules attempt n's retry at now + scheduleMs[n-1] when the jitter draw is the midpoint", () => {
    for (let n = 1; n <= DEFAULT_SCHEDULE_MS.length; n++) {
      const d = decide({ kind: "retry", reason: "HTTP 500", errorClass: "http_status" }, n, policy, NOW, () => 0.5);
      assert.deepEqual(d, { status: "pending", nextAttemptAt: NOW + DEFAULT_SCHEDULE_MS[n - 1], disableEndpoint: null, willRetry: true }, `attempt ${n}`);
    }
  });

  it("applies the lower jitter bound when random() is 0 and stays below the upper bound as random() approaches 1", () => {
    for (let n = 1; n <= DEFAULT_SCHEDULE_MS.length; n++) {
      const base = DEFAULT_SCHEDULE_MS[n - 1];
      const low = decide({ kind: "retry", reason: "HTTP 500", errorClass: "http_status" }, n, policy, NOW, () => 0);
      assert.equal(low.nextAttemptAt, NOW + Math.round(base * 0.9));
      const high = decide({ kind: "retry", reason: "HTTP 500", errorClass: "http_status" }, n, policy, NOW, () => 1 - 2 ** -53);
      assert.ok(high.nextAttemptAt! <= NOW + Math.round(base * 1.1), `attempt ${n}`);
      assert.ok(high.nextAttemptAt! > NOW + base * 1.09, `attempt ${n}`);
    }
  });

  it("keeps every jittered delay within [base * (1 - jitter), base * (1 + jitter)]", () => {
    const random = lcg(42);
    const jittery: RetryPolicy = { ...policy, jitter: 0.25 };
    for (let i = 0; i < 2000; i++) {
      const n = (i % DEFAULT_SCHEDULE_MS.length) + 1;
      const base = DEFAULT_SCHEDULE_MS[n - 1];
      const d = decide({ kind: "retry", reason: "x", errorClass: "connect" }, n, jittery, NOW, random);
      const delay = d.nextAttemptAt! - NOW;
      assert.ok(delay >= Math.round(base * 0.75) && delay <= Math.round(base * 1.25), `attempt ${n}: ${delay}`);
    }
  });

  it("uses the schedule exactly when jitter is 0", () => {
    const exact: RetryPolicy = { ...policy, jitter: 0 };
    assert.equal(decide({ kind: "retry", reason: "x", errorClass: "dns" }, 3, exact, NOW, () => 0.123).nextAttemptAt, NOW + 30 * MINUTE);
  });

  it("retries 3xx, 4xx, 5xx and network errors alike", () => {
    const results = [response(302), response(404), response(429), response(500), response(null, { errorClass: "dns", errorMessage: "ENOTFOUND" })];
    for (const r of results) {
      const d = decide(classifyResponse(r, NOW), 2, policy, NOW, () => 0.5);
      assert.deepEqual(d, { status: "pending", nextAttemptAt: NOW + 5 * MINUTE, disableEndpoint: null, willRetry: true }, `${r.statusCode}`);
    }
  });

  it("fails once attemptNo exceeds the schedule length, and not before", () => {
    const retry: Outcome = { kind: "retry", reason: "HTTP 500", errorClass: "http_status" };
    assert.equal(decide(retry, 7, policy, NOW, () => 0.5).status, "pending");
    for (const n of [8, 9, 100]) {
      assert.deepEqual(decide(retry, n, policy, NOW, noRandom), { status: "failed", nextAttemptAt: null, disableEndpoint: null, willRetry: false });
    }
  });

  it("fails at once with an empty schedule", () => {
    const none: RetryPolicy = { ...policy, scheduleMs: [] };
    assert.equal(decide({ kind: "retry", reason: "x", errorClass: "connect" }, 1, none, NOW, noRandom).status, "failed");
  });

  it("fails after the last scheduled retry even when the receiver sent Retry-After", () => {
    const outcome = classifyResponse(response(429, { headers: { "retry-after": "10" } }), NOW);
    assert.equal(decide(outcome, 8, policy, NOW, noRandom).status, "failed");
  });

  it("honours Retry-After in seconds on 429 and 503 instead of the schedule, without jitter", () => {
    for (const status of [429, 503]) {
      const outcome = classifyResponse(response(status, { headers: { "retry-after": "120" } }), NOW);
      assert.deepEqual(decide(outcome, 1, policy, NOW, noRandom), {
        status: "pending",
        nextAttemptAt: NOW + 120_000,
        disableEndpoint: null,
        willRetry: true,
      });
    }
  });

  it("honours Retry-After as an HTTP-date on 503", () => {
    const outcome = classifyResponse(response(503, { headers: { "retry-after": "Fri, 01 Mar 2024 12:10:00 GMT" } }), NOW);
    assert.equal(decide(outcome, 4, policy, NOW, noRandom).nextAttemptAt, NOW + 10 * MINUTE);
  });

  it("clamps Retry-After up to retryAfterMinMs", () => {
    for (const ra of ["0", "Fri, 01 Mar 2024 11:00:00 GMT"]) {
      const outcome = classifyResponse(response(429, { headers: { "retry-after": ra } }), NOW);
      assert.equal(decide(outcome, 1, policy, NOW, noRandom).nextAttemptAt, NOW + policy.retryAfterMinMs, ra);
    }
  });

  it("clamps Retry-After down to retryAfterMaxMs", () => {
    for (const ra of ["86400", "Sat, 02 Mar 2024 12:00:00 GMT"]) {
      const outcome = classifyResponse(response(503, { headers: { "retry-after": ra } }), NOW);
      assert.equal(decide(outcome, 1, policy, NOW, noRandom).nextAttemptAt, NOW + policy.retryAfterMaxMs, ra);
    }
  });

  it("keeps a Retry-After exactly at either bound", () => {
    const p: RetryPolicy = { ...policy, retryAfterMinMs: 2000, retryAfterMaxMs: 60_000 };
    assert.equal(decide({ kind: "retry", reason: "x", errorClass: "http_status", retryAfterMs: 2000 }, 1, p, NOW, noRandom).nextAttemptAt, NOW + 2000);
    assert.equal(decide({ kind: "retry", reason: "x", errorClass: "http_status", retryAfterMs: 60_000 }, 1, p, NOW, noRandom).nextAttemptAt, NOW + 60_000);
  });

  it("ignores Retry-After on a 500 and follows the schedule", () => {
    const outcome = classifyResponse(response(500, { headers: { "retry-after": "3" } }), NOW);
    assert.equal(decide(outcome, 1, policy, NOW, () => 0.5).nextAttemptAt, NOW + 5 * SECOND);
  });

  it("uses Math.random when no random source is given, staying within the jitter bounds", () => {
    for (let i = 0; i < 200; i++) {
      const d = decide({ kind: "retry", reason: "x", errorClass: "connect" }, 1, policy, NOW);
      const delay = d.nextAttemptAt! - NOW;
      assert.ok(delay >= 4500 && delay <= 5500, `${delay}`);
    }
  });
});

describe("parseDuration", () => {
  it("reads ms, s, m, h and d", () => {
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("5s"), 5000);
    assert.equal(parseDuration("5m"), 5 * MINUTE);
    assert.equal(parseDuration("2h"), 2 * HOUR);
    assert.equal(parseDuration("1d"), 24 * HOUR);
    assert.equal(parseDuration("0s"), 0);
  });

  it("reads decimals and rounds to whole milliseconds", () => {
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("0.5h"), 30 * MINUTE);
    assert.equal(parseDuration("1.5ms"), 2);
  });

  it("ignores surrounding whitespace", () => {
    assert.equal(parseDuration("  30m \n"), 30 * MINUTE);
  });

  it("rejects a number without unit, an unknown or upper-case unit, a sign, inner spaces and empty text, quoting the input", () => {
    for (const bad of ["5", "s", "5sec", "5S", "5M", "-5s", "+5s", "5 s", ".5s", "5.s", "1e3ms", "", "5s5m"]) {
      assert.throws(
        () => parseDuration(bad),
        (e: unknown) => e instanceof Error && e.message.includes(`"${bad}" is not a duration`),
        JSON.stringify(bad),
      );
    }
  });
});

describe("parseDurationList", () => {
  it("reads a comma-separated list, trimming each item", () => {
    assert.deepEqual(parseDurationList("5s,5m,30m,2h"), [5000, 5 * MINUTE, 30 * MINUTE, 2 * HOUR]);
    assert.deepEqual(parseDurationList(" 1s , 250ms "), [1000, 250]);
  });

  it("reads an empty string as an empty list", () => {
    assert.deepEqual(parseDurationList(""), []);
  });

  it("rejects an empty item or an invalid item, naming it", () => {
    assert.throws(() => parseDurationList("5s,,5m"), /"" is not a duration/);
    assert.throws(() => parseDurationList("5s,5m,"), /"" is not a duration/);
    assert.throws(() => parseDurationList("5s,x"), /"x" is not a duration/);
  });
});

describe("the retry budget by age", () => {
  const budgeted: RetryPolicy = { ...policy, budgetMs: retryBudgetMs(DEFAULT_SCHEDULE_MS, policy.jitter) };
  /** Runs `answer` attempt after attempt from NOW until the delivery fails (at most 100,000 attempts); returns when, and how many. */
  function runUntilFailed(answer: (n: number) => Outcome, random: () => number = () => 0.5) {
    let now = NOW;
    for (let n = 1; n <= 100_000; n++) {
      const d = decide(answer(n), n, budgeted, now, random, NOW);
      if (d.status === "failed") return { failedAfterMs: now - NOW, attempts: n };
      assert.ok(d.nextAttemptAt !== null && d.nextAttemptAt > now);
      now = d.nextAttemptAt;
    }
    throw new Error("never failed");
  }

  it("is the schedule's shortest span by default: about 25 hours for the default schedule", () => {
    // 5 s + 5 min + 30 min + 2 h + 5 h + 10 h + 10 h = 27 h 35 min 5 s, at 90 %.
    assert.equal(retryBudgetMs(DEFAULT_SCHEDULE_MS, 0.1), Math.round(99_305_000 * 0.9));
    assert.equal(retryBudgetMs([], 0.1), 0);
  });

  it("keeps a delivery answered 429 with Retry-After: 1 going until the budget, not 8 attempts in 36 seconds", () => {
    const limited: Outcome = { kind: "retry", reason: "HTTP 429", errorClass: "http_status", retryAfterMs: 1000 };
    const r = runUntilFailed(() => limited);
    assert.ok(r.failedAfterMs >= budgeted.budgetMs!, `failed after ${r.failedAfterMs} ms`);
    // Past the schedule it still waits as asked, one second at a time.
    assert.ok(r.attempts > DEFAULT_SCHEDULE_MS.length + 1);
  });

  it("leaves a delivery that ran the whole schedule with plain failures as it was: 8 attempts, whatever the jitter", () => {
    const failure: Outcome = { kind: "retry", reason: "HTTP 500", errorClass: "http_status" };
    for (const random of [() => 0, () => 0.5, () => 0.999999]) {
      assert.equal(runUntilFailed(() => failure, random).attempts, DEFAULT_SCHEDULE_MS.length + 1);
    }
  });

  it("after Retry-After answers used up the count, waits the last scheduled delay for plain failures until the budget", () => {
    const limited: Outcome = { kind: "retry", reason: "HTTP 429", errorClass: "http_status", retryAfterMs: 1000 };
    const failure: Outcome = { kind: "retry", reason: "HTTP 500", errorClass: "http_status" };
    const r = runUntilFailed((n) => (n <= 8 ? limited : failure));
    // Attempts 1-8 a second apart, 9 a second later (a 500), then 10 h (the last delay) apart:
    // 10 at 10 h, 11 at 20 h, 12 at 30 h, past the budget (24.8 h), ends it.
    assert.equal(r.attempts, 12);
    assert.ok(r.failedAfterMs >= budgeted.budgetMs!);
  });

  it("without a known creation time, or without a budget, the count alone ends it (as before)", () => {
    const limited: Outcome = { kind: "retry", reason: "HTTP 429", errorClass: "http_status", retryAfterMs: 1000 };
    assert.equal(decide(limited, 8, budgeted, NOW).status, "failed");
    assert.equal(decide(limited, 8, policy, NOW, () => 0.5, NOW).status, "failed");
    assert.equal(decide(limited, 8, budgeted, NOW, () => 0.5, NOW).status, "pending");
  });
});

describe("an endpoint's retry policy", () => {
  const server: RetryPolicy = { ...policy, budgetMs: retryBudgetMs(DEFAULT_SCHEDULE_MS, policy.jitter) };
  const failure: Outcome = { kind: "retry", reason: "HTTP 500", errorClass: "http_status" };
  const limited: Outcome = { kind: "retry", reason: "HTTP 429", errorClass: "http_status", retryAfterMs: 1000 };
  const none = { scheduleMs: null, maxAttempts: null, maxAgeMs: null };

  /** Attempts from NOW, each at the time the previous decision set, until one fails (at most 10,000). */
  function attemptsUntilFailed(p: RetryPolicy, answer: Outcome = failure, random: () => number = () => 0.5) {
    let now = NOW;
    const times = [NOW];
    for (let n = 1; n <= 10_000; n++) {
      const d = decide(answer, n, p, now, random, NOW);
      if (d.status === "failed") return { attempts: n, times };
      assert.ok(d.nextAttemptAt !== null && d.nextAttemptAt > now);
      now = d.nextAttemptAt;
      times.push(now);
    }
    throw new Error("never failed");
  }

  it("is the server's own policy object when the endpoint has none", () => {
    assert.equal(endpointRetryPolicy(server, null), server);
  });

  it("cuts the schedule to maxAttempts - 1 retries", () => {
    assert.deepEqual(scheduleForAttempts(DEFAULT_SCHEDULE_MS, 3), [5 * SECOND, 5 * MINUTE]);
    assert.deepEqual(scheduleForAttempts(DEFAULT_SCHEDULE_MS, 1), []);
    assert.deepEqual(scheduleForAttempts(DEFAULT_SCHEDULE_MS, 8), [...DEFAULT_SCHEDULE_MS]);
  });

  it("extends the schedule by repeating its last step", () => {
    assert.deepEqual(scheduleForAttempts([1000, 2000], 6), [1000, 2000, 2000, 2000, 2000]);
    assert.deepEqual(scheduleForAttempts([], 6), []);
  });

  it("with maxAttempts, makes exactly that many attempts, whatever the jitter", () => {
    for (const maxAttempts of [1, 3, 8, 12]) {
      const p = endpointRetryPolicy(server, { ...none, maxAttempts });
      for (const random of [() => 0, () => 0.5, () => 0.999999]) assert.equal(attemptsUntilFailed(p, failure, random).attempts, maxAttempts);
    }
  });

  it("with maxAttempts beyond the schedule, waits the last step again between the extra attempts", () => {
    const p = endpointRetryPolicy({ ...server, jitter: 0 }, { ...none, maxAttempts: 10 });
    const { times } = attemptsUntilFailed(p);
    assert.equal(times.length, 10);
    assert.equal(times[9]! - times[8]!, 10 * HOUR);
    assert.equal(times[8]! - times[7]!, 10 * HOUR);
  });

  it("with scheduleMs, follows it and ends after it, even when Retry-After answers come faster than the server's budget", () => {
    const p = endpointRetryPolicy({ ...server, jitter: 0 }, { ...none, scheduleMs: [200, 300] });
    const plain = attemptsUntilFailed(p);
    assert.equal(plain.attempts, 3);
    assert.deepEqual(
      plain.times.map((t) => t - NOW),
      [0, 200, 500],
    );
    // The server's budget (about 25 h) would keep a 429 going; the endpoint's count does not.
    assert.equal(attemptsUntilFailed(p, limited).attempts, 3);
  });

  it("with scheduleMs and maxAttempts, cuts or extends the endpoint's schedule", () => {
    assert.deepEqual(endpointRetryPolicy(server, { ...none, scheduleMs: [200, 300, 400], maxAttempts: 2 }).scheduleMs, [200]);
    assert.deepEqual(endpointRetryPolicy(server, { ...none, scheduleMs: [200, 300], maxAttempts: 5 }).scheduleMs, [200, 300, 300, 300]);
  });

  it("with maxAgeMs alone, follows the server's schedule past its end until the next retry would fall beyond the age", () => {
    const p = endpointRetryPolicy({ ...server, jitter: 0 }, { ...none, maxAgeMs: 60 * HOUR });
    const { attempts, times } = attemptsUntilFailed(p);
    // 27 h 35 min 5 s for the whole schedule, then 10 h steps: 37 h 35 min, 47 h 35 min, 57 h 35 min; the next (67 h 35 min) is past 60 h.
    assert.equal(attempts, 11);
    assert.ok(times.every((t) => t - NOW <= 60 * HOUR));
    assert.equal(times[7]! - times[6]!, 10 * HOUR);
  });

  it("with maxAgeMs shorter than the schedule, stops the retries early", () => {
    const p = endpointRetryPolicy({ ...server, jitter: 0 }, { ...none, maxAgeMs: HOUR });
    // 0, 5 s, 5 min 5 s, 35 min 5 s; the next, 2 h later, is past 1 h.
    assert.equal(attemptsUntilFailed(p).attempts, 4);
    // A receiver's Retry-After is held to the age too.
    const r = attemptsUntilFailed(p, limited);
    assert.ok(r.times.every((t) => t - NOW <= HOUR));
    assert.ok(r.attempts > 8);
  });

  it("with maxAgeMs and a count, stops at whichever comes first", () => {
    const byCount = endpointRetryPolicy({ ...server, jitter: 0 }, { ...none, maxAttempts: 3, maxAgeMs: 30 * 86_400_000 });
    assert.equal(attemptsUntilFailed(byCount).attempts, 3);
    const byAge = endpointRetryPolicy({ ...server, jitter: 0 }, { ...none, scheduleMs: [1000, 1000, 5000], maxAgeMs: 3000 });
    assert.equal(attemptsUntilFailed(byAge).attempts, 3);
  });

  it("keeps the server's jitter and Retry-After bounds", () => {
    const p = endpointRetryPolicy(server, { ...none, scheduleMs: [10 * SECOND] });
    assert.equal(p.jitter, server.jitter);
    assert.equal(p.retryAfterMaxMs, server.retryAfterMaxMs);
    assert.equal(decide(failure, 1, p, NOW, () => 0).nextAttemptAt, NOW + 9 * SECOND);
  });

  it("ignores maxAgeMs without a known creation time", () => {
    const p = endpointRetryPolicy(server, { ...none, scheduleMs: [HOUR], maxAgeMs: SECOND });
    assert.equal(decide(failure, 1, p, NOW, () => 0.5).status, "pending");
  });

  it("lets steps go down to 1 s, or to the server schedule's shortest step when that is shorter", () => {
    assert.equal(minRetryStepMs(DEFAULT_SCHEDULE_MS), 1000);
    assert.equal(minRetryStepMs([250, 5000]), 250);
    assert.equal(minRetryStepMs([]), 1000);
  });
});
