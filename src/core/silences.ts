// Silences: for a while (one-off) or in weekly windows (a maintenance window), nothing is sent for
// the events their matchers match, to the whole tenant or to some of its endpoints. Pure: what a
// silence's state is at an instant, and what a suppressed delivery says about it.
import type { ApiKeyKind } from "./api-keys.ts";
import type { FilterDoc } from "./filter.ts";
import { type Schedule, type TimeWindow, isActive, nextWindow, windowAt } from "./schedule.ts";
import type { DeliveryReason } from "./types.ts";

export type SilenceState = "pending" | "active" | "expired";

/** Who created a silence: the calling key (the bootstrap admin key is keyId "bootstrap"). */
export interface SilenceAuthor {
  kind: ApiKeyKind;
  keyId: string;
  name: string | null;
}

export interface Silence {
  id: string;
  tenantId: string;
  /** A filter in the endpoint filter language; {} matches every event. */
  matchers: FilterDoc;
  /** Null: every endpoint of the tenant. */
  endpointIds: string[] | null;
  startsAt: number;
  /** Null: a recurring silence without an end. */
  endsAt: number | null;
  /** Set: a recurring silence (maintenance window), active only inside its windows. */
  schedule: Schedule | null;
  comment: string;
  createdBy: SilenceAuthor;
  createdAt: number;
  /** Expired through the API before its end. */
  expiredEarly: boolean;
  /** Deliveries it suppressed. */
  suppressed: number;
}

/** The id the bootstrap admin key (which has no row) is recorded with. */
export const BOOTSTRAP_KEY_ID = "bootstrap";

/** A silence's comment is required and at most this long. */
export const COMMENT_MAX = 1000;

/** Expired once its end has passed; before its start pending; a recurring one is active only inside a window. */
export function silenceState(s: Pick<Silence, "startsAt" | "endsAt" | "schedule">, now: number): SilenceState {
  if (s.endsAt !== null && now >= s.endsAt) return "expired";
  if (now < s.startsAt) return "pending";
  if (s.schedule !== null && !isActive(s.schedule, now)) return "pending";
  return "active";
}

/** The window in force now (recurring silences only), cut to the silence's own start and end. */
export function currentWindow(s: Pick<Silence, "startsAt" | "endsAt" | "schedule">, now: number): TimeWindow | null {
  if (s.schedule === null || silenceState(s, now) !== "active") return null;
  const w = windowAt(s.schedule, now);
  return w === null ? null : clip(w, s);
}

/** The next window that starts after now and before the silence ends (recurring silences only). */
export function upcomingWindow(s: Pick<Silence, "startsAt" | "endsAt" | "schedule">, now: number): TimeWindow | null {
  if (s.schedule === null) return null;
  const w = nextWindow(s.schedule, Math.max(now, s.startsAt - 1));
  if (w === null) return null;
  if (s.endsAt !== null && w.start >= s.endsAt) return null;
  return clip(w, s);
}

function clip(w: TimeWindow, s: Pick<Silence, "startsAt" | "endsAt">): TimeWindow {
  return { start: Math.max(w.start, s.startsAt), end: s.endsAt === null ? w.end : Math.min(w.end, s.endsAt) };
}

/** When a silence active now stops holding (the end of its window or of itself); null: never. */
export function silencedUntil(s: Pick<Silence, "startsAt" | "endsAt" | "schedule">, now: number): number | null {
  if (s.schedule !== null) return currentWindow(s, now)?.end ?? s.endsAt;
  return s.endsAt;
}

/** What a delivery a silence suppressed says: which silence, its comment, and until when. */
export function silenceReason(s: Pick<Silence, "id" | "comment" | "startsAt" | "endsAt" | "schedule">, now: number): DeliveryReason {
  const until = silencedUntil(s, now);
  const what = s.schedule === null ? "Silenced" : "Silenced by a maintenance window";
  const end = until === null ? "with no end" : `until ${new Date(until).toISOString().replace(".000Z", "Z")}`;
  return { code: "silenced", silenceId: s.id, message: `${what}: ${s.id} (${JSON.stringify(s.comment)}) ${end}` };
}
