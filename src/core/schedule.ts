/**
 * Maintenance windows: a weekly schedule of local times in a time zone, e.g. Sundays 02:00–04:00
 * Europe/Berlin, turned into UTC instants. The time-zone database is the one inside Node's Intl
 * (ICU), read through Intl.DateTimeFormat; nothing else.
 *
 * The rules (docs/alerts.md, "Maintenance windows"):
 * - `days` names the local day on which a window starts; an end at or before the start is on the
 *   next local day (22:00–02:00), and "24:00" (as an end only) is the next day's midnight.
 * - A wall time that does not exist (the spring-forward gap) means the first instant after the
 *   gap: 02:00–04:00 Berlin on the spring Sunday runs 03:00–04:00 CEST, one hour. A window whose
 *   start and end both fall in the gap is empty that day: there is no window that day.
 * - A wall time that occurs twice (the autumn repeated hour) means its first occurrence for a
 *   start and its second for an end: 02:00–04:00 Berlin on the autumn Sunday runs from 02:00 CEST
 *   to 04:00 CET, three hours.
 * - Windows are half-open, [start, end). Two occurrences that overlap (possible only around an
 *   autumn switch) count as one window, from the earlier start to the later end.
 */

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Schedule {
  /** The local days on which a window starts; unique, at least one. */
  readonly days: readonly Weekday[];
  /** Local wall time "HH:MM", 00:00–23:59. */
  readonly start: string;
  /** Local wall time "HH:MM", 00:00–23:59 or 24:00; at or before `start` means the next day. */
  readonly end: string;
  /** An IANA time-zone name, e.g. "Europe/Berlin" or "UTC". */
  readonly timeZone: string;
}

/** One problem with a schedule; `path` is a JSON pointer relative to the schedule ("" for the whole). */
export interface ScheduleProblem {
  path: string;
  message: string;
}

/** A window in epoch milliseconds, [start, end). */
export interface TimeWindow {
  start: number;
  end: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const FIELDS = ["days", "start", "end", "timeZone"];
const ZONE_EXAMPLE = "use an IANA time-zone name such as Europe/Berlin, America/New_York or UTC";
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Every problem with a schedule at once, in field order; [] when it is valid. */
export function scheduleProblems(value: unknown): ScheduleProblem[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ path: "", message: "must be an object with days, start, end and timeZone" }];
  }
  const s = value as Record<string, unknown>;
  const problems: ScheduleProblem[] = [];
  for (const key of Object.keys(s)) {
    if (!FIELDS.includes(key)) problems.push({ path: `/${escapePointer(key)}`, message: `is not a schedule field: use ${FIELDS.join(", ")}` });
  }
  problems.push(...daysProblems(s.days));
  const start = timeProblem(s.start, false);
  if (start) problems.push({ path: "/start", message: start });
  const end = timeProblem(s.end, true);
  if (end) problems.push({ path: "/end", message: end });
  else if (!start && s.start === s.end) {
    problems.push({ path: "/end", message: `equals start: a window needs a length (for a whole day use 00:00 to 24:00)` });
  }
  const zone = timeZoneProblem(s.timeZone);
  if (zone) problems.push({ path: "/timeZone", message: zone });
  return problems;
}

function daysProblems(days: unknown): ScheduleProblem[] {
  const hint = `use ${WEEKDAYS.join(", ")}`;
  if (days === undefined) return [{ path: "/days", message: `is required: the days on which a window starts, such as ["sun"] (${hint})` }];
  if (!Array.isArray(days)) return [{ path: "/days", message: `must be a list of days, such as ["sun"] (${hint})` }];
  if (days.length === 0) return [{ path: "/days", message: `must name at least one day (${hint})` }];
  const problems: ScheduleProblem[] = [];
  const seen = new Set<string>();
  days.forEach((day: unknown, i) => {
    if (typeof day !== "string" || !(WEEKDAYS as readonly string[]).includes(day)) {
      const shown = typeof day === "string" ? `"${day}"` : (JSON.stringify(day) ?? String(day));
      problems.push({ path: `/days/${i}`, message: `${shown} is not a day: ${hint} (lower case, three letters)` });
    } else if (seen.has(day)) {
      problems.push({ path: `/days/${i}`, message: `repeats "${day}": name each day once` });
    } else {
      seen.add(day);
    }
  });
  return problems;
}

function timeProblem(value: unknown, isEnd: boolean): string | null {
  const range = isEnd ? "00:00 to 24:00" : "00:00 to 23:59";
  if (value === undefined) return `is required: a local time HH:MM from ${range}, such as ${isEnd ? "04:00" : "02:00"}`;
  if (typeof value !== "string") return `must be a string HH:MM from ${range}, such as ${isEnd ? "04:00" : "02:00"}`;
  if (value === "24:00") return isEnd ? null : "24:00 can only be an end: a window starting at midnight starts at 00:00";
  if (TIME.test(value)) return null;
  return `"${value}" is not a time HH:MM from ${range} (two digits each, 24-hour clock), such as ${isEnd ? "04:00" : "02:00"}`;
}

function timeZoneProblem(value: unknown): string | null {
  if (value === undefined) return `is required: ${ZONE_EXAMPLE}`;
  if (typeof value !== "string" || value === "") return `must be a time-zone name: ${ZONE_EXAMPLE}`;
  // Intl also takes fixed offsets such as "+01:00"; a schedule names a place, whose offset changes with DST.
  if (/^[+-]/.test(value)) return `"${value}" is a fixed offset, not a time zone: ${ZONE_EXAMPLE}`;
  if (!knownZone(value)) return `"${value}" is not a time zone in the time-zone database: ${ZONE_EXAMPLE}`;
  const canonical = canonicalSpelling(value);
  if (canonical !== null && canonical !== value) return `"${value}" is spelled "${canonical}" in the time-zone database: write that`;
  return null;
}

function knownZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

let canonicalByLowerCase: Map<string, string> | null = null;

/** The database's spelling of a name that matches one of its canonical names but for case, else null. */
function canonicalSpelling(name: string): string | null {
  if (canonicalByLowerCase === null) {
    canonicalByLowerCase = new Map();
    for (const zone of [...Intl.supportedValuesOf("timeZone"), "UTC"]) canonicalByLowerCase.set(zone.toLowerCase(), zone);
  }
  return canonicalByLowerCase.get(name.toLowerCase()) ?? null;
}

function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

// ---- time ------------------------------------------------------------------------------------

/** The window that contains atMs (start <= atMs < end), or null when none does. */
export function windowAt(s: Schedule, atMs: number): TimeWindow | null {
  const today = Math.floor(atMs / DAY);
  // A local day is within a day of the UTC one and a window lasts under two local days, so one
  // containing atMs starts on a local day in today-2 … today+1; one more each side for merging.
  for (const w of windows(s, today - 3, today + 2)) {
    if (w.start <= atMs && atMs < w.end) return w;
    if (w.start > atMs) break;
  }
  return null;
}

/** The first window that starts after afterMs (strictly; a window containing afterMs is not it). */
export function nextWindow(s: Schedule, afterMs: number): TimeWindow | null {
  const today = Math.floor(afterMs / DAY);
  // Each listed day recurs within a week; a day's window can be empty (both ends in a spring gap),
  // which happens at most once a year per zone, so the next one starts within two weeks.
  for (const w of windows(s, today - 3, today + 17)) if (w.start > afterMs) return w;
  return null;
}

/** Whether atMs is inside one of the schedule's windows. */
export function isActive(s: Schedule, atMs: number): boolean {
  const today = Math.floor(atMs / DAY);
  const p = parsed(s);
  for (let day = today - 2; day <= today + 1; day++) {
    const w = occurrence(p, day);
    if (w !== null && w.start <= atMs && atMs < w.end) return true;
  }
  return false;
}

interface Parsed {
  days: boolean[]; // indexed by epoch-day weekday: 0 = Thursday (1970-01-01)
  startMin: number;
  endMin: number; // > startMin; "next day" ends carry 1440 more
  timeZone: string;
  key: string;
}

const parsedSchedules = new WeakMap<Schedule, Parsed>();

/** The schedule in numbers, once per schedule object (a silence's schedule is read for every event). */
function parsed(s: Schedule): Parsed {
  let p = parsedSchedules.get(s);
  if (p === undefined) {
    p = parse(s);
    parsedSchedules.set(s, p);
  }
  return p;
}

function parse(s: Schedule): Parsed {
  const startMin = minutes(s.start);
  let endMin = minutes(s.end);
  if (endMin <= startMin) endMin += 1440;
  const days = new Array<boolean>(7).fill(false);
  for (const d of s.days) {
    const i = WEEKDAYS.indexOf(d);
    if (i < 0) throw new Error(`Schedule day "${d}" is not one of ${WEEKDAYS.join(", ")}; check it with scheduleProblems before use`);
    days[(i + 4) % 7] = true; // mon is index 0, and epoch day 4 (1970-01-05) was a Monday
  }
  formatter(s.timeZone); // throws on an unknown zone
  return { days, startMin, endMin, timeZone: s.timeZone, key: `${s.timeZone}\u0000${startMin}\u0000${endMin}\u0000` };
}

function minutes(hhmm: string): number {
  if (hhmm === "24:00") return 1440;
  const m = TIME.exec(hhmm);
  if (m === null) throw new Error(`Schedule time "${hhmm}" is not HH:MM; check it with scheduleProblems before use`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The schedule's windows starting on local days from..to (epoch day numbers), overlaps merged. */
function windows(s: Schedule, from: number, to: number): TimeWindow[] {
  const p = parsed(s);
  const out: TimeWindow[] = [];
  for (let day = from; day <= to; day++) {
    const w = occurrence(p, day);
    if (w === null) continue;
    const last = out[out.length - 1];
    if (last !== undefined && w.start < last.end) last.end = Math.max(last.end, w.end);
    else out.push({ start: w.start, end: w.end });
  }
  return out;
}

const occurrences = new Map<string, TimeWindow | null>();
const MAX_CACHED = 20_000;

/** The window starting on local day `day` (epoch day number), or null (not a listed day, or empty). */
function occurrence(p: Parsed, day: number): TimeWindow | null {
  if (!p.days[((day % 7) + 7) % 7]) return null;
  const key = p.key + day;
  const cached = occurrences.get(key);
  if (cached !== undefined) return cached;
  const start = instantOf(p.timeZone, day * DAY + p.startMin * MINUTE, "first");
  const end = instantOf(p.timeZone, day * DAY + p.endMin * MINUTE, "second");
  const w = end > start ? { start, end } : null;
  if (occurrences.size >= MAX_CACHED) occurrences.clear();
  occurrences.set(key, w);
  return w;
}

/**
 * The instant at which clocks in `zone` show `wall` (a local date-time written as if it were UTC
 * epoch milliseconds): its first or second occurrence when it occurs twice, the first instant
 * after the gap when it does not occur.
 */
function instantOf(zone: string, wall: number, occurrence: "first" | "second"): number {
  // Offsets change at most once within a day either side of any wall time in real zones.
  const before = offsetAt(zone, wall - DAY);
  const after = offsetAt(zone, wall + DAY);
  if (before === after) return wall - before;
  const withBefore = wall - before;
  const withAfter = wall - after;
  const beforeHolds = offsetAt(zone, withBefore) === before;
  const afterHolds = offsetAt(zone, withAfter) === after;
  if (beforeHolds && afterHolds) return occurrence === "first" ? Math.min(withBefore, withAfter) : Math.max(withBefore, withAfter);
  if (beforeHolds) return withBefore;
  if (afterHolds) return withAfter;
  // In the gap: the switch lies between the two readings; find its instant (a whole second).
  let lo = Math.min(withBefore, withAfter); // still the old offset
  let hi = Math.max(withBefore, withAfter); // already the new one
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone, built once: constructing Intl.DateTimeFormat is the costly part. */
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at instant t, in milliseconds (local = t + offset). */
function offsetAt(zone: string, t: number): number {
  const whole = t - (((t % 1000) + 1000) % 1000);
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatter(zone).formatToParts(whole)) {
    if (part.type === "year") year = Number(part.value);
    else if (part.type === "month") month = Number(part.value);
    else if (part.type === "day") day = Number(part.value);
    else if (part.type === "hour") hour = Number(part.value) % 24;
    else if (part.type === "minute") minute = Number(part.value);
    else if (part.type === "second") second = Number(part.value);
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  return local - whole;
}

// ---- for people ------------------------------------------------------------------------------

const DAY_NAMES: Record<Weekday, string> = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };

/** One line for people: "Sundays 02:00–04:00 (Europe/Berlin)", "Mon, Wed 22:00–02:00 next day (UTC)". */
export function describeSchedule(s: Schedule): string {
  const days = WEEKDAYS.filter((d) => s.days.includes(d));
  const joined = days.join(",");
  let when: string;
  if (days.length === 7) when = "Every day";
  else if (joined === "mon,tue,wed,thu,fri") when = "Weekdays";
  else if (joined === "sat,sun") when = "Weekends";
  else if (days.length === 1 && days[0] !== undefined) when = `${DAY_NAMES[days[0]]}s`;
  else when = days.map((d) => DAY_NAMES[d].slice(0, 3)).join(", ");
  const nextDay = s.end !== "24:00" && minutes(s.end) <= minutes(s.start) ? " next day" : "";
  return `${when} ${s.start}–${s.end}${nextDay} (${s.timeZone})`;
}
