/**
 * The silence form: its state (strings, as inputs hold them), what fills it in (a delivery, an
 * alert or an endpoint's "Add maintenance window", through the address), the create body it
 * becomes, and the API's problem documents as errors at its fields. No React here.
 */
import { DAYS, type Day, type Schedule } from "./silence-words.ts";

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface SilenceForm {
  /** An event type, `family.*`, or blank for any. */
  type: string;
  /** Severities matched; none checked: any. */
  severities: Severity[];
  fingerprint: string;
  /** More conditions as a JSON filter object (the endpoint filter language); blank for none. */
  conditions: string;
  scope: "tenant" | "endpoints";
  endpointIds: string[];
  kind: "once" | "recurring";
  startMode: "now" | "at";
  /** `YYYY-MM-DDTHH:MM` in the browser's zone (a datetime-local input). */
  startsAt: string;
  /** One-off: by a duration or at a time. Recurring: `never` or at a time. */
  endMode: "duration" | "at" | "never";
  /** `2h`, `30m`, `3d`. */
  duration: string;
  endsAt: string;
  days: Day[];
  windowStart: string;
  windowEnd: string;
  timeZone: string;
  comment: string;
}

export type SilenceField = keyof SilenceForm;
export type SilenceErrors = Partial<Record<SilenceField | "form", string>>;

/** The browser's own time zone, the default of a maintenance window. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function newSilenceForm(timeZone = browserTimeZone()): SilenceForm {
  return {
    type: "",
    severities: [],
    fingerprint: "",
    conditions: "",
    scope: "tenant",
    endpointIds: [],
    kind: "once",
    startMode: "now",
    startsAt: "",
    endMode: "duration",
    duration: "2h",
    endsAt: "",
    days: ["sun"],
    windowStart: "02:00",
    windowEnd: "04:00",
    timeZone,
    comment: "",
  };
}

/** What the address can fill in: `?type=…&fingerprint=…&endpoint=ep_…&recurring=1`. */
export interface SilencePrefill {
  type?: string | null;
  fingerprint?: string | null;
  endpointId?: string | null;
  recurring?: boolean;
}

/** The query string (without `?`) of the create page filled in with `p`. */
export function prefillSearch(p: SilencePrefill): string {
  const q = new URLSearchParams();
  if (p.type) q.set("type", p.type);
  if (p.fingerprint) q.set("fingerprint", p.fingerprint);
  if (p.endpointId) q.set("endpoint", p.endpointId);
  if (p.recurring) q.set("recurring", "1");
  return q.toString();
}

/** The create form as the address fills it in. */
export function formFromSearch(search: string, timeZone = browserTimeZone()): SilenceForm {
  const q = new URLSearchParams(search);
  const f = newSilenceForm(timeZone);
  f.type = q.get("type") ?? "";
  f.fingerprint = q.get("fingerprint") ?? "";
  const ep = q.get("endpoint");
  if (ep) {
    f.scope = "endpoints";
    f.endpointIds = [ep];
  }
  if (q.get("recurring") === "1") {
    f.kind = "recurring";
    f.endMode = "never";
  }
  return f;
}

/** The create-silence body as the API takes it. */
export interface SilenceBody {
  matchers?: Record<string, unknown>;
  endpointIds?: string[];
  startsAt?: string;
  endsAt?: string;
  duration?: string;
  schedule?: Schedule;
  comment: string;
}

const TYPE_PATTERN = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DURATION = /^\d+\s*(s|m|h|d)$/;

/** A datetime-local value (the browser's zone) as RFC 3339 UTC; null when it is not a time. */
export function localToIso(value: string): string | null {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(value)) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** An RFC 3339 time as a datetime-local value in the browser's zone. */
export function isoToLocal(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The matchers the form's fields make: type, severity and fingerprint, with the extra conditions beside them (or under `$and` where a path repeats). */
function matchersOf(f: SilenceForm, errors: SilenceErrors): Record<string, unknown> | undefined {
  const m: Record<string, unknown> = {};
  const type = f.type.trim();
  if (type !== "" && type !== "*") {
    if (!TYPE_PATTERN.test(type)) errors.type = "use an event type (alert.fired), a family (alert.*) or leave it blank for any";
    else m.type = type.endsWith(".*") ? { $prefix: type.slice(0, -1) } : type;
  }
  const severities = SEVERITIES.filter((s) => f.severities.includes(s));
  if (severities.length === 1) m.severity = severities[0];
  else if (severities.length > 1) m.severity = { $in: severities };
  const fingerprint = f.fingerprint.trim();
  if (fingerprint !== "") m.fingerprint = fingerprint;
  const text = f.conditions.trim();
  let extra: Record<string, unknown> | null = null;
  if (text !== "") {
    try {
      const v: unknown = JSON.parse(text);
      if (v === null || typeof v !== "object" || Array.isArray(v) || Object.keys(v).length === 0)
        errors.conditions = 'must be a JSON object of conditions, e.g. {"payload.env": "staging"}';
      else extra = v as Record<string, unknown>;
    } catch (e) {
      errors.conditions = `must be JSON: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  if (extra && Object.keys(extra).some((k) => k in m)) return { $and: [m, extra] };
  const all = { ...m, ...(extra ?? {}) };
  return Object.keys(all).length > 0 ? all : undefined;
}

/**
 * The form as a create body, or the errors the form itself can see (a missing comment, a time
 * that is not one). Whether the end comes after the start, and the limits, are the server's to say.
 */
export function formToSilenceBody(f: SilenceForm): { body: SilenceBody; errors?: undefined } | { body?: undefined; errors: SilenceErrors } {
  const errors: SilenceErrors = {};
  const matchers = matchersOf(f, errors);
  const body: SilenceBody = { comment: f.comment.trim() };
  if (body.comment === "") errors.comment = "is required: say why (it is shown with the silence)";
  if (matchers) body.matchers = matchers;
  if (f.scope === "endpoints") {
    if (f.endpointIds.length === 0) errors.endpointIds = "choose at least one webhook, or the whole tenant";
    body.endpointIds = [...f.endpointIds];
  }
  if (f.startMode === "at") {
    const at = localToIso(f.startsAt);
    if (at === null) errors.startsAt = "is required: a date and time";
    else body.startsAt = at;
  }
  if (f.kind === "recurring") {
    const days = DAYS.filter((d) => f.days.includes(d));
    if (days.length === 0) errors.days = "choose at least one day";
    if (!HHMM.test(f.windowStart)) errors.windowStart = "must be a time HH:MM";
    if (!HHMM.test(f.windowEnd)) errors.windowEnd = "must be a time HH:MM";
    if (f.timeZone.trim() === "") errors.timeZone = "is required, e.g. Europe/Berlin";
    body.schedule = { days, start: f.windowStart, end: f.windowEnd, timeZone: f.timeZone.trim() };
  }
  if (f.endMode === "duration" && f.kind === "once") {
    const d = f.duration.replace(/\s+/g, "");
    if (!DURATION.test(d)) errors.duration = "must be minutes, hours or days, e.g. 30m, 2h, 3d";
    else body.duration = d;
  } else if (f.endMode === "at" || (f.kind === "once" && f.endMode === "never")) {
    const at = localToIso(f.endsAt);
    if (at === null) errors.endsAt = "is required: a date and time";
    else body.endsAt = at;
  }
  return Object.keys(errors).length > 0 ? { errors } : { body };
}

/** The form field for a problem's `errors[].path` (a JSON Pointer into the body). */
export function silenceFieldForPath(path: string): SilenceField | null {
  const [, first = "", second = ""] = path.split("/");
  switch (first) {
    case "matchers":
      return second === "type" ? "type" : second === "severity" ? "severities" : second === "fingerprint" ? "fingerprint" : "conditions";
    case "endpointIds":
      return "endpointIds";
    case "startsAt":
      return "startsAt";
    case "endsAt":
      return "endsAt";
    case "duration":
      return "duration";
    case "comment":
      return "comment";
    case "schedule":
      return second === "days" ? "days" : second === "start" ? "windowStart" : second === "end" ? "windowEnd" : second === "timeZone" ? "timeZone" : "days";
    default:
      return null;
  }
}

/** An API message in the form's words: `startsAt` is the start, `endsAt` the end. */
function formWords(message: string): string {
  return message.replace(/\bstartsAt\b/g, "the start").replace(/\bendsAt\b/g, "the end");
}

/**
 * A problem document as errors at the form's fields. A field the form does not show in its
 * current mode (an end given as a duration, refused at `/endsAt`) is put on the field that is.
 */
export function problemToSilenceErrors(problem: { detail?: string; errors?: { path: string; message: string }[] }, f?: SilenceForm): SilenceErrors {
  const out: SilenceErrors = {};
  for (const e of problem.errors ?? []) {
    let field = silenceFieldForPath(e.path);
    if (f && field === "endsAt" && f.kind === "once" && f.endMode === "duration") field = "duration";
    if (f && field === "startsAt" && f.startMode === "now") field = null;
    const key = field ?? "form";
    if (out[key]) continue;
    out[key] = formWords(field ? e.message : `${e.path || "body"}: ${e.message}`);
  }
  if (Object.keys(out).length === 0) out.form = problem.detail ?? "The server refused the silence.";
  return out;
}
