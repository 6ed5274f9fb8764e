// An endpoint's retry policy (`retry`): its schedule, attempt count and age limit, checked on save.
import { invalid } from "../core/errors.ts";
import { RETRY_LIMITS, minRetryStepMs, scheduleForAttempts } from "../core/retry-policy.ts";
import { obj } from "./endpoint-settings-fields.ts";

/** A checked `retry` (core/types.ts RetrySettings). */
export interface CheckedRetry {
  scheduleMs: number[] | null;
  maxAttempts: number | null;
  maxAgeMs: number | null;
}

/** What the checks need of the server's configuration: its schedule, for the shortest step and a maxAttempts-only total. */
export interface RetryLimits {
  retryScheduleMs?: readonly number[];
}

const DAY = 86_400_000;
const days = (ms: number) => `${ms / DAY} days`;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * `retry` after the merge: null (the server's policy) or at least one of scheduleMs, maxAttempts,
 * maxAgeMs. A document whose members are all null is the server's policy too.
 */
export function checkRetry(v: unknown, limits: RetryLimits): CheckedRetry | null {
  if (v === null || v === undefined) return null;
  const r = obj(v, "/retry");
  for (const k of Object.keys(r)) {
    if (k !== "scheduleMs" && k !== "maxAttempts" && k !== "maxAgeMs")
      throw invalid(`/retry/${k}`, "is not a retry setting: use scheduleMs, maxAttempts or maxAgeMs");
  }
  const server = limits.retryScheduleMs ?? [];
  const minStep = minRetryStepMs(server);
  let scheduleMs: number[] | null = null;
  if (r.scheduleMs !== undefined && r.scheduleMs !== null) {
    if (!Array.isArray(r.scheduleMs)) throw invalid("/retry/scheduleMs", "must be an array of delays in milliseconds");
    const steps = r.scheduleMs as unknown[];
    const maxSteps = RETRY_LIMITS.maxAttempts - 1;
    if (steps.length < 1 || steps.length > maxSteps)
      throw invalid("/retry/scheduleMs", `must have 1 to ${maxSteps} delays (at most ${RETRY_LIMITS.maxAttempts} attempts)`);
    steps.forEach((x, i) => {
      if (typeof x !== "number" || !Number.isInteger(x) || x < minStep || x > RETRY_LIMITS.maxStepMs) {
        throw invalid(
          `/retry/scheduleMs/${i}`,
          `delay ${i + 1} must be an integer from ${minStep} to ${RETRY_LIMITS.maxStepMs} (${days(RETRY_LIMITS.maxStepMs)}) milliseconds`,
        );
      }
    });
    scheduleMs = steps as number[];
    if (sum(scheduleMs) > RETRY_LIMITS.maxTotalMs)
      throw invalid("/retry/scheduleMs", `must add up to at most ${RETRY_LIMITS.maxTotalMs} (${days(RETRY_LIMITS.maxTotalMs)}) milliseconds`);
  }
  let maxAttempts: number | null = null;
  if (r.maxAttempts !== undefined && r.maxAttempts !== null) {
    const m = r.maxAttempts;
    if (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > RETRY_LIMITS.maxAttempts) {
      throw invalid("/retry/maxAttempts", `must be an integer from 1 to ${RETRY_LIMITS.maxAttempts} (attempts in all, the first included)`);
    }
    maxAttempts = m;
    const total = sum(scheduleForAttempts(scheduleMs ?? server, m));
    if (total > RETRY_LIMITS.maxTotalMs) {
      throw invalid(
        "/retry/maxAttempts",
        `makes the schedule add up to ${total} milliseconds, more than ${RETRY_LIMITS.maxTotalMs} (${days(RETRY_LIMITS.maxTotalMs)})`,
      );
    }
  }
  let maxAgeMs: number | null = null;
  if (r.maxAgeMs !== undefined && r.maxAgeMs !== null) {
    const a = r.maxAgeMs;
    if (typeof a !== "number" || !Number.isInteger(a) || a < minStep || a > RETRY_LIMITS.maxTotalMs) {
      throw invalid("/retry/maxAgeMs", `must be an integer from ${minStep} to ${RETRY_LIMITS.maxTotalMs} (${days(RETRY_LIMITS.maxTotalMs)}) milliseconds`);
    }
    maxAgeMs = a;
  }
  if (scheduleMs === null && maxAttempts === null && maxAgeMs === null) return null;
  return { scheduleMs, maxAttempts, maxAgeMs };
}
