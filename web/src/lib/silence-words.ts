/**
 * Silences in words: their matchers (the endpoint filter language), their endpoints, their time
 * or weekly schedule, and why a delivery was not sent. Pure functions over the API's fields.
 */

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];

export interface Schedule {
  days: Day[];
  /** `HH:MM`, wall time in `timeZone`. */
  start: string;
  /** `HH:MM`; at or before `start` means the next day. */
  end: string;
  timeZone: string;
}

/** The fields of a silence these functions read. */
export interface SilenceFacts {
  matchers?: unknown;
  endpointIds: string[] | null;
  startsAt: string;
  endsAt: string | null;
  schedule: Schedule | null;
  state: "pending" | "active" | "expired";
  expiredEarly?: boolean;
  currentWindow?: { start: string; end: string } | null;
  nextWindow?: { start: string; end: string } | null;
}

const DAY_NAMES: Record<Day, [short: string, plural: string]> = {
  mon: ["Mon", "Mondays"],
  tue: ["Tue", "Tuesdays"],
  wed: ["Wed", "Wednesdays"],
  thu: ["Thu", "Thursdays"],
  fri: ["Fri", "Fridays"],
  sat: ["Sat", "Saturdays"],
  sun: ["Sun", "Sundays"],
};

/** `Sundays`, `Mon–Fri`, `Every day`, `Mon, Wed, Fri`, `Fri–Sun`: the days in the week's order, runs of three or more as a range. */
export function daysInWords(days: readonly Day[]): string {
  const set = new Set(days);
  const ordered = DAYS.filter((d) => set.has(d));
  if (ordered.length === 0) return "No day";
  if (ordered.length === 7) return "Every day";
  if (ordered.length === 1) return DAY_NAMES[ordered[0]!][1];
  if (ordered.length === 2 && set.has("sat") && set.has("sun")) return "Weekends";
  // Runs of consecutive days (the week ends on Sunday, as the API's list does).
  const runs: Day[][] = [];
  for (const d of ordered) {
    const last = runs[runs.length - 1];
    if (last && DAYS.indexOf(d) === DAYS.indexOf(last[last.length - 1]!) + 1) last.push(d);
    else runs.push([d]);
  }
  return runs.flatMap((r) => (r.length >= 3 ? [`${DAY_NAMES[r[0]!][0]}–${DAY_NAMES[r[r.length - 1]!][0]}`] : r.map((d) => DAY_NAMES[d][0]))).join(", ");
}

/** `Sundays 02:00–04:00 Europe/Berlin`; an end at or before the start says it runs into the next day. */
export function scheduleInWords(s: Schedule): string {
  const overnight = s.end <= s.start ? " (ends the next day)" : "";
  return `${daysInWords(s.days)} ${s.start}–${s.end}${overnight} ${s.timeZone}`;
}

const FIELD_WORDS: Record<string, string> = { type: "event type", severity: "severity", fingerprint: "fingerprint", state: "alert state" };

const pathWords = (path: string) => FIELD_WORDS[path] ?? path;

/** A value as written in a condition: plain text for simple strings, JSON otherwise. */
function valueWords(v: unknown): string {
  if (typeof v === "string" && v !== "" && /^[^\s",]+$/.test(v)) return v;
  return JSON.stringify(v);
}

const list = (v: unknown) => (Array.isArray(v) ? v.map(valueWords).join(", ") : valueWords(v));

function operatorWords(op: string, operand: unknown): string {
  switch (op) {
    case "$eq":
      return `is ${valueWords(operand)}`;
    case "$ne":
      return `is not ${valueWords(operand)}`;
    case "$in":
      return Array.isArray(operand) && operand.length === 1 ? `is ${valueWords(operand[0])}` : `is one of ${list(operand)}`;
    case "$nin":
      return `is none of ${list(operand)}`;
    case "$gt":
      return `is over ${valueWords(operand)}`;
    case "$gte":
      return `is at least ${valueWords(operand)}`;
    case "$lt":
      return `is under ${valueWords(operand)}`;
    case "$lte":
      return `is at most ${valueWords(operand)}`;
    case "$exists":
      return operand === false ? "is missing" : "is present";
    case "$prefix":
      return `starts with ${valueWords(operand)}`;
    case "$not":
      return `does not hold: ${conditionWords(operand)}`;
    default:
      return `${op} ${JSON.stringify(operand)}`;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** One path's condition: a bare value, or an object of operators (all must hold). */
function conditionWords(cond: unknown): string {
  if (!isObject(cond)) return `is ${valueWords(cond)}`;
  return Object.entries(cond)
    .map(([op, operand]) => operatorWords(op, operand))
    .join(" and ");
}

function filterWords(f: unknown, nested: boolean): string {
  if (!isObject(f)) return JSON.stringify(f);
  const parts = Object.entries(f).map(([key, v]) => {
    if (key === "$and" && Array.isArray(v)) return `all of (${v.map((x) => filterWords(x, true)).join("; ")})`;
    if (key === "$or" && Array.isArray(v)) return `any of (${v.map((x) => filterWords(x, true)).join("; ")})`;
    if (key === "$not") return `not (${filterWords(v, true)})`;
    // `type: {$prefix: "alert."}` is how a family of types is written: say it as the family.
    if (key === "type" && isObject(v) && Object.keys(v).length === 1 && typeof v.$prefix === "string" && v.$prefix.endsWith("."))
      return `event type is ${v.$prefix}*`;
    return `${pathWords(key)} ${conditionWords(v)}`;
  });
  if (parts.length === 0) return nested ? "anything" : "every event";
  return parts.join(" and ");
}

/** `event type is alert.fired and fingerprint is db-1`; no matchers: `every event`. */
export function matchersInWords(matchers: unknown): string {
  if (matchers === null || matchers === undefined) return "every event";
  return filterWords(matchers, false);
}

/** `all webhooks`, or the named endpoints (`names` maps ids to names; unknown ids stay ids). */
export function endpointsInWords(endpointIds: string[] | null, names: ReadonlyMap<string, string> = new Map()): string {
  if (endpointIds === null) return "all webhooks";
  if (endpointIds.length === 0) return "no webhook";
  return endpointIds.map((id) => names.get(id) ?? id).join(", ");
}

/** Whether a silence covers this endpoint: it names it, or it covers the whole tenant. */
export function appliesTo(s: { endpointIds: string[] | null }, endpointId: string): boolean {
  return s.endpointIds === null || s.endpointIds.includes(endpointId);
}

type Fmt = (iso: string) => string;

/**
 * When a silence holds, in words: `from … until …` for a one-off one (`until expired early …`),
 * the schedule for a recurring one (with `until …` when it has an end).
 */
export function whenInWords(s: SilenceFacts, fmt: Fmt): string {
  if (s.schedule) {
    const until = s.endsAt ? `, until ${fmt(s.endsAt)}` : "";
    return `${scheduleInWords(s.schedule)}${until}`;
  }
  const end = s.endsAt ? `${s.expiredEarly ? "expired early at" : "until"} ${fmt(s.endsAt)}` : "with no end";
  return `from ${fmt(s.startsAt)} ${end}`;
}

/** A recurring silence's window now or next: `now, until …` / `next: … – …`; null when none is left. */
export function windowInWords(s: SilenceFacts, fmt: Fmt): string | null {
  if (!s.schedule) return null;
  if (s.currentWindow) return `in a window now, until ${fmt(s.currentWindow.end)}`;
  if (s.nextWindow) return `next window ${fmt(s.nextWindow.start)} – ${fmt(s.nextWindow.end)}`;
  return null;
}

/** Why a delivery was not sent (`Delivery.reason`), as the API gives it. */
export interface DeliveryReason {
  code: "silenced" | "folded" | "flapping" | (string & {});
  message: string;
  silenceId?: string | null;
  digestId?: string | null;
}

/** A delivery's reason, read defensively: null when it has none or it is not one. */
export function reasonOf(d: object): DeliveryReason | null {
  const r = (d as { reason?: unknown }).reason;
  if (!isObject(r) || typeof r.code !== "string" || typeof r.message !== "string") return null;
  return {
    code: r.code,
    message: r.message,
    ...(typeof r.silenceId === "string" ? { silenceId: r.silenceId } : {}),
    ...(typeof r.digestId === "string" ? { digestId: r.digestId } : {}),
  };
}
