import type { CompiledFilter, FilterSubject } from "../core/filter.ts";
import type { Schedule } from "../core/schedule.ts";
import { type Silence, type SilenceAuthor, silenceReason, silenceState } from "../core/silences.ts";
import type { DeliveryReason } from "../core/types.ts";
import { compiledFilter } from "./fanout.ts";
import type { Row } from "./sql.ts";

// The silences fan-out checks (and the release job re-checks): read once per ingest call, with
// one indexed statement, and matched in memory per (event, endpoint).

/** A tenant's silences that have not ended (silences_live); pending and recurring ones included. */
export const LIVE_SILENCES = "SELECT * FROM silences WHERE tenant_id = ? AND (ends_at IS NULL OR ends_at > ?)";

/** Adds to the suppressed count of each silence: a table of (id, count). */
export const COUNT_SUPPRESSED = "UPDATE silences SET suppressed = suppressed + ? WHERE id = ?";

export function rowToSilence(r: Row): Silence {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    matchers: JSON.parse(String(r.matchers)) as Silence["matchers"],
    endpointIds: r.endpoint_ids === null || r.endpoint_ids === undefined ? null : (JSON.parse(String(r.endpoint_ids)) as string[]),
    startsAt: Number(r.starts_at),
    endsAt: r.ends_at === null || r.ends_at === undefined ? null : Number(r.ends_at),
    schedule: r.schedule === null || r.schedule === undefined ? null : (JSON.parse(String(r.schedule)) as Schedule),
    comment: String(r.comment),
    createdBy: JSON.parse(String(r.created_by)) as SilenceAuthor,
    createdAt: Number(r.created_at),
    expiredEarly: Number(r.expired_early) === 1,
    suppressed: Number(r.suppressed ?? 0),
  };
}

/** A silence in force now, ready to match: its matchers compiled (cached by their text). */
export interface ActiveSilence {
  id: string;
  endpoints: ReadonlySet<string> | null;
  matches: CompiledFilter;
  recurring: boolean;
  /** What a delivery it suppresses says; also the hold it puts on an alert's sends. */
  reason: DeliveryReason;
}

/** The silences among `rows` (LIVE_SILENCES) that are active at `now`. */
export function activeSilences(rows: readonly Row[], now: number): ActiveSilence[] {
  const out: ActiveSilence[] = [];
  for (const r of rows) {
    const s = rowToSilence(r);
    if (silenceState(s, now) !== "active") continue;
    out.push({
      id: s.id,
      endpoints: s.endpointIds === null ? null : new Set(s.endpointIds),
      matches: compiledFilter(String(r.matchers)),
      recurring: s.schedule !== null,
      reason: silenceReason(s, now),
    });
  }
  return out;
}

/** The first active silence that covers this endpoint and matches the event; null when none does. */
export function silenceFor(silences: readonly ActiveSilence[], endpointId: string, subject: () => FilterSubject): ActiveSilence | null {
  for (const s of silences) {
    if (s.endpoints !== null && !s.endpoints.has(endpointId)) continue;
    if (s.matches(subject())) return s;
  }
  return null;
}
