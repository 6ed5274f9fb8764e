// The --retry-* flags of `endpoint add` and `endpoint update` (the endpoint's retry policy), and its summary line.
import { UsageError, exclusive } from "./shared.ts";
import { coerceError } from "../core/errors.ts";
import { formatDuration, parseDuration, parseDurationList } from "../core/retry-policy.ts";

export interface RetryFlags {
  "retry-schedule"?: string;
  "retry-max-attempts"?: string;
  "retry-max-age"?: string;
  "retry-default"?: boolean;
}

/** `retry` from the --retry-* flags: null for --retry-default, a merge patch of the members given, or undefined. */
export function retryFlags(v: RetryFlags): Record<string, unknown> | null | undefined {
  exclusive(v as Record<string, unknown>, ["retry-default", "retry-schedule"]);
  exclusive(v as Record<string, unknown>, ["retry-default", "retry-max-attempts"]);
  exclusive(v as Record<string, unknown>, ["retry-default", "retry-max-age"]);
  if (v["retry-default"]) return null;
  const retry: Record<string, unknown> = {};
  const given = (flag: "retry-schedule" | "retry-max-attempts" | "retry-max-age", parse: (text: string) => unknown): unknown => {
    const text = v[flag];
    if (text === undefined) return undefined;
    if (text.trim() === "default") return null;
    try {
      return parse(text);
    } catch (e) {
      throw new UsageError(`--${flag}: ${coerceError(e).message}`);
    }
  };
  const schedule = given("retry-schedule", (t) => {
    const steps = parseDurationList(t);
    if (steps.length === 0) throw new Error("give at least one delay, e.g. 5s,5m,30m (or default)");
    return steps;
  });
  if (schedule !== undefined) retry.scheduleMs = schedule;
  const attempts = given("retry-max-attempts", (t) => {
    if (!/^\d{1,3}$/.test(t.trim())) throw new Error(`must be a whole number of attempts, not ${JSON.stringify(t)}`);
    return Number(t.trim());
  });
  if (attempts !== undefined) retry.maxAttempts = attempts;
  const age = given("retry-max-age", parseDuration);
  if (age !== undefined) retry.maxAgeMs = age;
  return Object.keys(retry).length ? retry : undefined;
}

/** An endpoint's own retry policy in a line: "delays 5s, 5m; 4 attempts in all; none later than 2d after the event". */
export function retrySummary(r: { scheduleMs: number[] | null; maxAttempts: number | null; maxAgeMs: number | null }): string {
  const parts = [r.scheduleMs === null ? "the server's delays" : `delays ${r.scheduleMs.map(formatDuration).join(", ")}`];
  if (r.maxAttempts !== null) parts.push(`${r.maxAttempts} attempt${r.maxAttempts === 1 ? "" : "s"} in all`);
  if (r.maxAgeMs !== null) parts.push(`none later than ${formatDuration(r.maxAgeMs)} after the event`);
  return parts.join("; ");
}
