import type { ErrorClass, SendResult } from "./types.ts";

export interface RetryPolicy {
  /** Delays after the 1st, 2nd, ... failed attempt; its length is the number of retries. */
  scheduleMs: readonly number[];
  /** Each delay is multiplied by a factor drawn from [1 - jitter, 1 + jitter]. */
  jitter: number;
  /** Bounds applied to a receiver's Retry-After. */
  retryAfterMinMs: number;
  retryAfterMaxMs: number;
  /**
   * The retry budget by age: a delivery that has used every scheduled retry is retried on (after
   * the receiver's Retry-After, or else the last scheduled delay) until its event is this old. So
   * a receiver answering 429 with a short Retry-After cannot fail it sooner than the schedule
   * itself would. Absent or 0: the count alone ends it. TOCSIN_RETRY_BUDGET; see retryBudgetMs().
   */
  budgetMs?: number;
  /**
   * An endpoint's retry.maxAgeMs: no retry is scheduled later than this long after the event was
   * created (Retry-After included); the delivery fails instead. Absent: no such limit.
   */
  maxAgeMs?: number;
}

/** The default budget: the shortest time the schedule can take (every delay at its lowest jitter). */
export function retryBudgetMs(scheduleMs: readonly number[], jitter: number): number {
  return Math.round(scheduleMs.reduce((a, b) => a + b, 0) * (1 - jitter));
}

export const DEFAULT_SCHEDULE_MS: readonly number[] = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 10 * 3600_000];

/** Bounds of an endpoint's retry policy, checked when it is saved (services/endpoint-settings-retry.ts). */
export const RETRY_LIMITS = {
  /** Attempts in all, the first included: so a schedule has at most 49 steps. */
  maxAttempts: 50,
  /** The shortest step, unless the server's own schedule has a shorter one (see minRetryStepMs). */
  minStepMs: 1000,
  maxStepMs: 7 * 86_400_000,
  /** The sum of the steps, and maxAgeMs. */
  maxTotalMs: 30 * 86_400_000,
} as const;

/** The shortest step an endpoint may ask for: 1 s, or the server schedule's shortest step when that is shorter. */
export function minRetryStepMs(serverScheduleMs: readonly number[]): number {
  let min: number = RETRY_LIMITS.minStepMs;
  for (const step of serverScheduleMs) if (step < min) min = Math.max(1, step);
  return min;
}

/**
 * `scheduleMs` for `maxAttempts` attempts in all: its first maxAttempts - 1 steps when it has as
 * many, else the whole schedule followed by its last step repeated. An empty schedule stays empty.
 */
export function scheduleForAttempts(scheduleMs: readonly number[], maxAttempts: number): number[] {
  const retries = Math.max(0, maxAttempts - 1);
  if (retries <= scheduleMs.length) return scheduleMs.slice(0, retries);
  const last = scheduleMs[scheduleMs.length - 1];
  if (last === undefined) return [];
  const out = scheduleMs.slice();
  while (out.length < retries) out.push(last);
  return out;
}

/** An endpoint's `retry` setting (core/types.ts RetrySettings): at least one member is set. */
export interface EndpointRetry {
  readonly scheduleMs: readonly number[] | null;
  readonly maxAttempts: number | null;
  readonly maxAgeMs: number | null;
}

/**
 * The policy that decides an endpoint's retries: the server's as is when the endpoint has none
 * (`retry: null`), else the server's with the endpoint's schedule and limits. Computed once per
 * endpoint version (delivery/endpoint-cache.ts), not per delivery.
 * - scheduleMs replaces the server's schedule; maxAttempts cuts the schedule (the endpoint's or
 *   else the server's) to maxAttempts - 1 retries or extends it by repeating its last step.
 * - With either, the count ends the retries: the server's budget by age does not add any.
 * - maxAgeMs alone: the schedule is the server's, its last step repeated past its end, until the
 *   next retry would fall more than maxAgeMs after the event's creation. With a count, both limits
 *   apply, whichever comes first.
 */
export function endpointRetryPolicy(server: RetryPolicy, r: EndpointRetry | null): RetryPolicy {
  if (r === null) return server;
  const base = r.scheduleMs ?? server.scheduleMs;
  const scheduleMs = Object.freeze(r.maxAttempts === null ? base.slice() : scheduleForAttempts(base, r.maxAttempts));
  const counted = r.scheduleMs !== null || r.maxAttempts !== null;
  const policy: RetryPolicy = {
    scheduleMs,
    jitter: server.jitter,
    retryAfterMinMs: server.retryAfterMinMs,
    retryAfterMaxMs: server.retryAfterMaxMs,
    budgetMs: counted || r.maxAgeMs === null ? 0 : r.maxAgeMs,
  };
  if (r.maxAgeMs !== null) policy.maxAgeMs = r.maxAgeMs;
  return policy;
}

/**
 * What one attempt means, as data (a receiver's 500 is business as usual, not an exception).
 * Success is any 2xx; redirects are not followed, so a 3xx is a failure like any other status.
 */
export type Outcome =
  | { kind: "delivered"; status: number }
  | { kind: "retry"; reason: string; errorClass: ErrorClass; retryAfterMs?: number }
  | { kind: "disable"; reason: string };

export function classifyResponse(result: SendResult, now: number): Outcome {
  if (result.statusCode === null) {
    return { kind: "retry", reason: result.errorMessage ?? "request failed", errorClass: result.errorClass ?? "connect" };
  }
  const status = result.statusCode;
  if (status >= 200 && status < 300) return { kind: "delivered", status };
  if (status === 410) return { kind: "disable", reason: "410 Gone: the receiver asked to stop" };
  const out: Outcome = { kind: "retry", reason: `HTTP ${status}`, errorClass: "http_status" };
  if ((status === 429 || status === 503) && result.headers) {
    const ra = parseRetryAfter(result.headers["retry-after"], now);
    if (ra !== undefined) out.retryAfterMs = ra;
  }
  return out;
}

// The three HTTP-date forms of RFC 9110 §5.6.7: IMF-fixdate, obsolete RFC 850 and asctime.
const HTTP_DATE =
  /^(?:[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  if (!HTTP_DATE.test(v)) return undefined;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export interface Decision {
  status: "succeeded" | "pending" | "failed";
  nextAttemptAt: number | null;
  disableEndpoint: "gone" | null;
  willRetry: boolean;
}

/**
 * The delivery state machine's transition after attempt number `attemptNo` (1-based) of a
 * delivery whose event was created at `createdAt` (for the budget by age; unknown: the count
 * alone decides). Pure: time and randomness come in as arguments.
 */
export function decide(
  outcome: Outcome,
  attemptNo: number,
  policy: RetryPolicy,
  now: number,
  random: () => number = Math.random,
  createdAt: number = Number.NEGATIVE_INFINITY,
): Decision {
  if (outcome.kind === "delivered") {
    return { status: "succeeded", nextAttemptAt: null, disableEndpoint: null, willRetry: false };
  }
  if (outcome.kind === "disable") {
    return { status: "failed", nextAttemptAt: null, disableEndpoint: "gone", willRetry: false };
  }
  if (attemptNo < 1) throw new RangeError(`attempt numbers start at 1, got ${attemptNo}`);
  const failed: Decision = { status: "failed", nextAttemptAt: null, disableEndpoint: null, willRetry: false };
  // Every scheduled retry used: done, unless the event is younger than the budget by age.
  if (attemptNo > policy.scheduleMs.length && now - createdAt >= (policy.budgetMs ?? 0)) return failed;
  let delay: number;
  if (outcome.retryAfterMs !== undefined) {
    delay = Math.min(policy.retryAfterMaxMs, Math.max(policy.retryAfterMinMs, outcome.retryAfterMs));
  } else {
    // Past the schedule (within the budget), the last scheduled delay again.
    const base = policy.scheduleMs[Math.min(attemptNo, policy.scheduleMs.length) - 1];
    if (base === undefined) return failed;
    const factor = 1 + policy.jitter * (2 * random() - 1);
    delay = Math.max(0, Math.round(base * factor));
  }
  const next = now + delay;
  // The endpoint's age limit (only with a known creation time).
  if (policy.maxAgeMs !== undefined && createdAt > Number.NEGATIVE_INFINITY && next - createdAt > policy.maxAgeMs) return failed;
  return { status: "pending", nextAttemptAt: next, disableEndpoint: null, willRetry: true };
}

/** Parses `5s,5m,30m,2h` (units ms, s, m, h, d) into milliseconds. */
export function parseDurationList(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.length === 1 && parts[0] === "") return [];
  return parts.map(parseDuration);
}

/** A duration as parseDuration reads it, in the largest unit that divides it: 300000 -> 5m, 1500 -> 1500ms. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration: use a number with ms, s, m, h or d, e.g. 5s or 30m`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms" | "s" | "m" | "h" | "d"];
  return Math.round(n * unit);
}
