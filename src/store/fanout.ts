import type { AlertRow, AlertStep } from "../core/alerts.ts";
import { parseSettings } from "../core/endpoint-settings.ts";
import { type CompiledFilter, type FilterDoc, type FilterSubject, compileFilter, filterSubject } from "../core/filter.ts";
import type { DigestSettings, FlappingSettings, LifecycleSettings } from "../core/types.ts";
import type { Param, Row } from "./sql.ts";

// Fan-out pieces both backends share: the endpoints an ingest matches against and the alert
// statements (plain SQL that SQLite and PostgreSQL both accept, with `?` placeholders).

export interface FanoutEndpoint {
  id: string;
  types: string[];
  minSeverity: string | null;
  /** The settings document, parsed only when an alert update needs its lifecycle. */
  settings: string | null;
  lifecycle?: LifecycleSettings;
  /** Parsed with the lifecycle. */
  flapping?: FlappingSettings | null;
  /** Set for endpoints that batch. */
  batchMaxEvents: number | null;
  batchWaitMs: number;
  /** The endpoint's filter, compiled; null: it takes every event it subscribes to. */
  filter: CompiledFilter | null;
  /** The endpoint's digest setting (store/digest-steps.ts); null: none. */
  digest: DigestSettings | null;
}

/**
 * The tenant's enabled endpoints, and those disabled for failing or by a 410 that have a fallback:
 * their deliveries go to the fallback until they are enabled again (store/claim.ts).
 */
export const FANOUT_ENDPOINTS = `SELECT id, event_types, min_severity, settings, batch_max_events, batch_max_wait_ms, filter, digest FROM endpoints
  WHERE tenant_id = ? AND (enabled = 1 OR (fallback_endpoint_id IS NOT NULL AND disabled_reason IN ('failing', 'gone')))`;

/** How many full batches an ingest looks for at most (a backlog beyond waits for its deadlines). */
export const FULL_BATCHES_CHECKED = 8;
// In the order of deliveries_unbatched (the count is the same in any order): a planner without
// statistics then reads that index, up to the limit, instead of the endpoint's whole pending
// backlog in deliveries_due with a table read per row to test batch_id.
export const COUNT_UNBATCHED = `SELECT count(*) AS n FROM (
  SELECT 1 FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND batch_id IS NULL ORDER BY next_attempt_at, id LIMIT ?) w`;
/**
 * Makes the oldest waiting deliveries of a batching endpoint due now, as many as fill whole
 * batches: a full batch goes at once instead of at its deadline. Order is kept, since those that
 * are not due yet all wait until later than now.
 */
export const MARK_FULL_BATCHES_DUE = `UPDATE deliveries SET next_attempt_at = ? WHERE id IN (
  SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND batch_id IS NULL ORDER BY next_attempt_at, id LIMIT ?) AND next_attempt_at > ?`;

export function rowToFanoutEndpoint(r: Row): FanoutEndpoint {
  return {
    id: String(r.id),
    types: JSON.parse(String(r.event_types)) as string[],
    minSeverity: (r.min_severity as string | null) ?? null,
    settings: (r.settings as string | null) ?? null,
    batchMaxEvents: r.batch_max_events === null || r.batch_max_events === undefined ? null : Number(r.batch_max_events),
    batchWaitMs: Number(r.batch_max_wait_ms ?? 0),
    filter: r.filter === null || r.filter === undefined ? null : compiledFilter(String(r.filter)),
    digest: r.digest === null || r.digest === undefined ? null : (JSON.parse(String(r.digest)) as DigestSettings),
  };
}

/** Compiled filters by their JSON text: a filter is compiled once, not once an ingest. */
const compiledFilters = new Map<string, CompiledFilter>();
const COMPILED_FILTERS_KEPT = 10_000;

/** The closure for a stored filter's text (checked when it was saved), from the cache when compiled before. */
export function compiledFilter(text: string): CompiledFilter {
  let f = compiledFilters.get(text);
  if (f === undefined) {
    f = compileFilter(JSON.parse(text) as FilterDoc);
    if (compiledFilters.size >= COMPILED_FILTERS_KEPT) compiledFilters.clear();
    compiledFilters.set(text, f);
  }
  return f;
}

/** What filters see of an event at fan-out (its payload parsed once, for every filter it meets). */
export function eventSubject(
  ev: { type: string; severity?: string | null; fingerprint?: string | null; payload: string },
  state: string | null,
): FilterSubject {
  return filterSubject({ type: ev.type, severity: ev.severity ?? null, fingerprint: ev.fingerprint ?? null, state, payload: ev.payload });
}

export function lifecycleOf(ep: FanoutEndpoint): LifecycleSettings {
  if (ep.lifecycle === undefined) {
    const s = parseSettings(ep.settings);
    ep.lifecycle = s.lifecycle;
    ep.flapping = s.flapping;
  }
  return ep.lifecycle;
}

/** The endpoint's flap damping, parsed with its lifecycle. */
export function flappingOf(ep: FanoutEndpoint): FlappingSettings | null {
  lifecycleOf(ep);
  return ep.flapping ?? null;
}

export const SELECT_ALERT = "SELECT status, started_at, ended_at, update_count FROM alerts WHERE tenant_id = ? AND fingerprint = ?";
export const UPSERT_ALERT = `INSERT INTO alerts (tenant_id, fingerprint, status, started_at, ended_at, update_count, last_event_id, last_event_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (tenant_id, fingerprint) DO UPDATE SET status = excluded.status, started_at = excluded.started_at, ended_at = excluded.ended_at,
    update_count = excluded.update_count, last_event_id = excluded.last_event_id, last_event_at = excluded.last_event_at`;
export const SELECT_ALERT_SEND =
  "SELECT last_sent_at, held, last_sent_state, flap_starts, flapping_until FROM alert_sends WHERE endpoint_id = ? AND fingerprint = ?";
/** An alert event queued for an endpoint: what its receiver last got, flap damping's memory (store/flap-steps.ts), and no hold any more. */
export const UPSERT_ALERT_SEND = `INSERT INTO alert_sends (endpoint_id, fingerprint, tenant_id, last_sent_at, last_sent_state, flap_starts, flapping_until)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (endpoint_id, fingerprint) DO UPDATE SET last_sent_at = excluded.last_sent_at, last_sent_state = excluded.last_sent_state, held = NULL,
    flap_starts = excluded.flap_starts, flapping_until = excluded.flapping_until`;
/**
 * An alert event held back from an endpoint (a silence): the hold, leaving what was last sent as
 * it was. A row made here has never sent anything (last_sent_at 0: long ago; last_sent_state null).
 */
export const UPSERT_ALERT_HOLD = `INSERT INTO alert_sends (endpoint_id, fingerprint, tenant_id, last_sent_at, held) VALUES (?, ?, ?, 0, ?)
  ON CONFLICT (endpoint_id, fingerprint) DO UPDATE SET held = excluded.held`;

export function rowToAlertRow(r: Row): AlertRow {
  return {
    status: r.status === "open" ? "open" : "resolved",
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null || r.ended_at === undefined ? null : Number(r.ended_at),
    updateCount: Number(r.update_count),
  };
}

export function alertParams(tenantId: string, fingerprint: string, step: AlertStep, eventId: string, now: number): Param[] {
  const a = step.next;
  return [tenantId, fingerprint, a.status, a.startedAt, a.endedAt, a.updateCount, eventId, now];
}
