import type { AlertStep } from "../core/alerts.ts";
import { type FlapOnset, flappingNotice, parseFlapHold, parseStarts, stepFlapping } from "../core/flapping.ts";
import { newId } from "../core/ids.ts";
import { type NoticeEvent, noticeSeverity } from "../core/notices.ts";
import type { DeliveryReason, FlappingSettings, Severity } from "../core/types.ts";
import { type Steps, all, run } from "./dialect.ts";
import { type FanoutEndpoint, flappingOf } from "./fanout.ts";
import type { Param, Row } from "./sql.ts";

// Flap damping at fan-out (core/flapping.ts decides): after an endpoint's lifecycle lets an alert
// event through, its alert_sends row (read by ingest, with the flap memory) says whether the alert
// is flapping there. A held event's delivery is recorded as suppressed and the row keeps the hold,
// which the release job (store/release-holds.ts) lifts once its `until` has passed, queueing the
// alert's current state. The notice of an onset is an event of its own, ingested in the same
// transaction as the event that caused it.

/**
 * A held alert event: the hold and the memory, leaving what was last sent as it was. A row made
 * here has never sent anything (last_sent_at 0: long ago; last_sent_state null).
 */
export const UPSERT_FLAP_HOLD = `INSERT INTO alert_sends (endpoint_id, fingerprint, tenant_id, last_sent_at, held, flap_starts, flapping_until) VALUES (?, ?, ?, 0, ?, ?, ?)
  ON CONFLICT (endpoint_id, fingerprint) DO UPDATE SET held = excluded.held, flap_starts = excluded.flap_starts, flapping_until = excluded.flapping_until`;

/** The endpoint as the notice names it. */
export const FLAP_ENDPOINT = "SELECT id, tenant_id, name, url FROM endpoints WHERE id = ?";

/**
 * The notice's delivery to the damping endpoint itself, unless its subscriptions already gave it
 * one: the receiver that stops getting the alert learns why.
 */
export const INSERT_OWN_NOTICE = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
  SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), 'pending', 0, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
  WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE event_id = ? AND endpoint_id = ?)`;

/** Whether an alert_sends row's hold is flap damping's (which decides about that alert's ends itself). */
export const flapHeld = (row: Row): boolean => parseFlapHold((row.held as string | null | undefined) ?? null) !== null;

/** An onset seen during an ingest call, announced once the call's own events are stored. */
export interface FlapOnsetAt {
  endpointId: string;
  fingerprint: string;
  settings: FlappingSettings;
  onset: FlapOnset;
  severity: Severity | null;
}

export interface FlapGate {
  /** Set: the event is held from this endpoint; its delivery is recorded suppressed with this reason. */
  reason: DeliveryReason | null;
  /** For a sent event: (flap_starts, flapping_until), written with the row's send. */
  memory: Param[];
}

const NOT_HELD: FlapGate = Object.freeze({ reason: null, memory: [null, null] }) as FlapGate;

/**
 * Flap damping of one alert event at one endpoint, given the endpoint's alert_sends row as ingest
 * read it (undefined: none yet). An onset is appended to `onsets`.
 */
export function* flapSteps(
  ep: FanoutEndpoint,
  tenantId: string,
  fingerprint: string,
  step: AlertStep,
  row: Row | undefined,
  severity: Severity | null,
  now: number,
  onsets: FlapOnsetAt[],
): Steps<FlapGate> {
  const settings = flappingOf(ep);
  const startsText = (row?.flap_starts as string | null | undefined) ?? null;
  const until = row?.flapping_until === null || row?.flapping_until === undefined ? null : Number(row.flapping_until);
  const heldText = (row?.held as string | null | undefined) ?? null;
  // The common case costs nothing: no setting and nothing remembered.
  if (settings === null && startsText === null && until === null) return NOT_HELD;
  const d = stepFlapping(settings, { starts: parseStarts(startsText), until, hold: parseFlapHold(heldText) }, step, now);
  const memory: Param[] = [settings === null ? null : JSON.stringify(d.next.starts), d.next.until];
  if (d.reason === null) return { reason: null, memory };
  const held = d.write === undefined ? heldText : JSON.stringify(d.write);
  yield run("ingest: flap hold", UPSERT_FLAP_HOLD, [ep.id, fingerprint, tenantId, held, ...memory]);
  if (d.onset !== null && settings !== null) onsets.push({ endpointId: ep.id, fingerprint, settings, onset: d.onset, severity });
  return { reason: d.reason, memory };
}

/**
 * The tocsin.alert.flapping events of an ingest call's onsets, for the tenant; `ingest` stores
 * them and fans them out to the endpoints subscribed to them (store/ingest.ts), and each damping
 * endpoint then gets its own notice whether subscribed or not.
 */
export function* flapNoticeSteps(
  tenantId: string,
  onsets: readonly FlapOnsetAt[],
  now: number,
  ingest: (tenantId: string, events: NoticeEvent[]) => Steps<unknown>,
): Steps<void> {
  const events: NoticeEvent[] = [];
  const owners: string[] = [];
  for (const o of onsets) {
    const r = (yield all("ingest: flap endpoint", FLAP_ENDPOINT, [o.endpointId])).rows[0];
    if (r === undefined) continue;
    const n = flappingNotice(
      { id: String(r.id), tenantId: String(r.tenant_id), name: (r.name as string | null) ?? null, url: String(r.url) },
      o.fingerprint,
      o.settings,
      o.onset,
    );
    events.push({
      id: newId("evt", now),
      type: n.type,
      severity: o.severity ?? noticeSeverity(n.type),
      payload: JSON.stringify(n.payload),
      idempotencyKey: null,
    });
    owners.push(o.endpointId);
  }
  if (events.length === 0) return;
  yield* ingest(tenantId, events);
  for (const [i, ev] of events.entries()) {
    const endpointId = owners[i]!;
    yield run("ingest: own flap notice", INSERT_OWN_NOTICE, [newId("dlv", now), tenantId, ev.id, endpointId, ev.type, now, now, now, ev.id, endpointId]);
  }
}
