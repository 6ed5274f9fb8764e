// The endpoint form's Retries fields: delays as "5s, 5m, 30m", a count and an age, to and from the API's `retry`.

export interface RetryFields {
  /** Delays after each failed attempt, e.g. `5s, 5m, 30m`; blank: the server's schedule. */
  retrySchedule: string;
  /** Attempts in all; blank: as many as the schedule makes. */
  retryMaxAttempts: string;
  /** e.g. `2d`; blank: no age limit of the endpoint's own. */
  retryMaxAge: string;
}

export interface RetryDoc {
  scheduleMs: number[] | null;
  maxAttempts: number | null;
  maxAgeMs: number | null;
}

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `5s`, `1.5m`, `200ms` → milliseconds; null when it is not a duration. */
export function parseDurationText(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]) : null;
}

/** Milliseconds in the largest unit that divides them: 300000 → 5m, 1500 → 1500ms. */
export function formatDurationMs(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  return `${ms}ms`;
}

export function retryToFields(r: RetryDoc | null | undefined): RetryFields {
  return {
    retrySchedule: r?.scheduleMs ? r.scheduleMs.map(formatDurationMs).join(", ") : "",
    retryMaxAttempts: r && r.maxAttempts !== null ? String(r.maxAttempts) : "",
    retryMaxAge: r && r.maxAgeMs !== null ? formatDurationMs(r.maxAgeMs) : "",
  };
}

/** One line for the settings summary: "5s, 5m, 30m; 4 attempts; until 2d old", or the server's. */
export function retrySummary(r: RetryDoc | null | undefined): string {
  if (!r) return "server default";
  const parts = [r.scheduleMs ? r.scheduleMs.map(formatDurationMs).join(", ") : "server's delays"];
  if (r.maxAttempts !== null) parts.push(`${r.maxAttempts} attempt${r.maxAttempts === 1 ? "" : "s"} in all`);
  if (r.maxAgeMs !== null) parts.push(`until ${formatDurationMs(r.maxAgeMs)} after the event`);
  return parts.join("; ");
}

/**
 * The `retry` document the fields make (null when all are blank: the server's policy), with each
 * field's local error. The server checks the bounds again and names the field it refuses.
 */
export function parseRetryFields(f: RetryFields, errors: Partial<Record<keyof RetryFields, string>>): RetryDoc | null {
  let scheduleMs: number[] | null = null;
  const list = f.retrySchedule.trim();
  if (list !== "") {
    const steps = list.split(/[\s,]+/).filter((s) => s !== "");
    const parsed = steps.map(parseDurationText);
    const bad = steps.find((_, i) => parsed[i] === null);
    if (bad !== undefined) errors.retrySchedule = `"${bad}" is not a duration: use a number with ms, s, m, h or d, e.g. 5s, 5m, 30m`;
    else if (steps.length > 49) errors.retrySchedule = "must have at most 49 delays (50 attempts)";
    else scheduleMs = parsed as number[];
  }
  let maxAttempts: number | null = null;
  const n = f.retryMaxAttempts.trim();
  if (n !== "") {
    if (!/^\d+$/.test(n) || Number(n) < 1 || Number(n) > 50) errors.retryMaxAttempts = "must be a whole number from 1 to 50";
    else maxAttempts = Number(n);
  }
  let maxAgeMs: number | null = null;
  const age = f.retryMaxAge.trim();
  if (age !== "") {
    maxAgeMs = parseDurationText(age);
    if (maxAgeMs === null) errors.retryMaxAge = `"${age}" is not a duration: use a number with ms, s, m, h or d, e.g. 2d`;
  }
  if (scheduleMs === null && maxAttempts === null && maxAgeMs === null) return null;
  return { scheduleMs, maxAttempts, maxAgeMs };
}
