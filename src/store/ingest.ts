import { type AlertStep, shouldSend, stepAlert } from "../core/alerts.ts";
import { passesSeverity } from "../core/endpoint-settings.ts";
import { matchesEventType } from "../core/event-types.ts";
import type { FilterSubject } from "../core/filter.ts";
import { newId } from "../core/ids.ts";
import { type Dialect, type StepResult, type Steps, all, run, table } from "./dialect.ts";
import {
  COUNT_UNBATCHED,
  FANOUT_ENDPOINTS,
  FULL_BATCHES_CHECKED,
  type FanoutEndpoint,
  MARK_FULL_BATCHES_DUE,
  SELECT_ALERT,
  SELECT_ALERT_SEND,
  UPSERT_ALERT,
  UPSERT_ALERT_SEND,
  UPSERT_ALERT_HOLD,
  alertParams,
  eventSubject,
  lifecycleOf,
  rowToAlertRow,
  rowToFanoutEndpoint,
} from "./fanout.ts";
import type { DeliveryReason } from "../core/types.ts";
import { type FlapOnsetAt, flapHeld, flapNoticeSteps, flapSteps } from "./flap-steps.ts";
import { type ActiveSilence, COUNT_SUPPRESSED, LIVE_SILENCES, activeSilences, silenceFor } from "./silence-match.ts";
import { digestLocks, flushDigests, foldIntoDigest, foldedOf, newDigestCall } from "./digest-steps.ts";
import type { Param, Row } from "./sql.ts";
import type { IngestResult, NewEvent } from "./store.ts";

// ingest(tenant, events): events stored and fanned out to the tenant's matching endpoints in one
// transaction, on either backend (the steps run through store/sqlite/sqlite-steps.ts or
// store/postgres/pg-steps.ts). Completion runs it too, inside its own transaction, for the
// operational events it announces.

/** The tenant exists; PostgreSQL keeps it from being deleted until this transaction ends. */
export const TENANT_EXISTS = {
  sqlite: "SELECT 1 AS one FROM tenants WHERE id = ?",
  pg: "SELECT 1 AS one FROM tenants WHERE id = $1 FOR SHARE",
};

/** Updates of one alert serialise on this lock (PostgreSQL; SQLite's write transaction holds the whole database). */
export const ALERT_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))";

/**
 * Takes an idempotency key for an event unless a live one exists (its event id is then returned
 * by PRIOR_KEY instead); concurrent requests with one key serialise on its row.
 */
export const TAKE_KEY = `INSERT INTO idempotency_keys (tenant_id, key, event_id, expires_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (tenant_id, key) DO UPDATE SET event_id = excluded.event_id, expires_at = excluded.expires_at
  WHERE idempotency_keys.expires_at <= ? RETURNING event_id`;
export const PRIOR_KEY = "SELECT event_id FROM idempotency_keys WHERE tenant_id = ? AND key = ?";
export const COUNT_EVENT_DELIVERIES = "SELECT count(*) AS n FROM deliveries WHERE event_id = ?";

const EVENT_COLUMNS = "id, tenant_id, type, severity, payload, idempotency_key, created_at, fingerprint, state, alert_started_at, update_count, trace_context";

/** Table: one row per event, in EVENT_COLUMNS order. */
export const INSERT_EVENTS = {
  sqlite: { eachRow: `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)` },
  pg: `INSERT INTO events (${EVENT_COLUMNS})
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::bigint[], $11::int[], $12::text[])`,
};

/**
 * Table: (id, tenant, event, endpoint, event type, created at, due at, status, reason), one row per
 * delivery: status 'pending', due at `due`, with a null reason; or 'suppressed' (due never) with
 * the reason as JSON.
 */
export const INSERT_DELIVERIES = {
  sqlite: {
    eachRow: `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at, reason)
  VALUES (?1, ?2, ?3, ?4, ?5, ?8, 0, ?7, ?6, ?6, ?9)`,
  },
  pg: `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at, reason)
  SELECT id, t, e, ep, ty, st, 0, due, at, at, re
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[])
    AS x(id, t, e, ep, ty, at, due, st, re)`,
};

/** A pending delivery's row for INSERT_DELIVERIES. */
export function pendingRow(tenantId: string, eventId: string, endpointId: string, eventType: string, now: number, due: number): Param[] {
  return [newId("dlv", now), tenantId, eventId, endpointId, eventType, now, due, "pending", null];
}

/** A suppressed delivery's row for INSERT_DELIVERIES: recorded, never sent, with why. */
export function suppressedRow(tenantId: string, eventId: string, endpointId: string, eventType: string, now: number, reason: DeliveryReason): Param[] {
  return [newId("dlv", now), tenantId, eventId, endpointId, eventType, now, null, "suppressed", JSON.stringify(reason)];
}

/** Wakes the workers that listen (PostgreSQL), when this transaction commits. */
export const NOTIFY_DUE = "SELECT pg_notify(?, '')";

/** The channel on which PostgreSQL workers hear of new work. */
export const DUE_CHANNEL = "tocsin_due";

/**
 * Stores `events` for `tenantId` and creates a delivery for each endpoint that takes it; null when
 * the tenant does not exist. An idempotency key seen within `windowMs` (also earlier in this same
 * call) returns the first event instead of storing another.
 */
export function* ingestSteps(d: Dialect, tenantId: string, events: readonly NewEvent[], now: number, windowMs: number): Steps<IngestResult[] | null> {
  if ((yield all("ingest: tenant", TENANT_EXISTS, [tenantId])).rows.length === 0) return null;
  const endpoints = (yield all("ingest: endpoints", FANOUT_ENDPOINTS, [tenantId])).rows.map(rowToFanoutEndpoint);
  // The tenant's silences, read once for the whole call (silences_live); none: nothing more is done per event.
  const silences: ActiveSilence[] = endpoints.length === 0 ? [] : activeSilences((yield all("ingest: silences", LIVE_SILENCES, [tenantId, now])).rows, now);
  const suppressedBy = new Map<string, number>();
  if (d.rowLocks) {
    // Taken for the whole call in one order, so that two calls with the same alerts cannot deadlock.
    const fingerprints = [...new Set(events.map((e) => e.fingerprint).filter((f): f is string => typeof f === "string"))].sort();
    for (const fp of fingerprints) yield all("ingest: alert lock", ALERT_LOCK, [`alert ${tenantId} ${fp}`]);
  }
  const digests = newDigestCall(tenantId);
  yield* digestLocks(d, digests, endpoints, events);
  const batching = new Set<FanoutEndpoint>();
  const onsets: FlapOnsetAt[] = [];
  const out: IngestResult[] = [];
  const eventRows: Param[][] = [];
  const deliveryRows: Param[][] = [];
  // Keys taken earlier in this call: their events are not stored yet, so the key's row cannot answer.
  const inCall = new Map<string, IngestResult>();
  for (const ev of events) {
    const key = ev.idempotencyKey;
    if (key !== null) {
      const seen = inCall.get(key);
      if (seen) {
        out.push({ id: seen.id, deliveries: seen.deliveries, duplicate: true });
        continue;
      }
      if ((yield all("ingest: take key", TAKE_KEY, [tenantId, key, ev.id, now + windowMs, now])).rows.length === 0) {
        const prior = String(theRow(yield all("ingest: prior key", PRIOR_KEY, [tenantId, key]), "the taken key's row").event_id);
        const n = Number(theRow(yield all("ingest: prior deliveries", COUNT_EVENT_DELIVERIES, [prior]), "a count").n);
        out.push({ id: prior, deliveries: n, duplicate: true });
        continue;
      }
    }
    const fp = ev.fingerprint ?? null;
    let step: AlertStep | null = null;
    if (fp !== null) {
      const prev = (yield all("ingest: alert", SELECT_ALERT, [tenantId, fp])).rows[0];
      step = stepAlert(prev ? rowToAlertRow(prev) : null, ev.state ?? "start", now);
      yield run("ingest: alert upsert", UPSERT_ALERT, alertParams(tenantId, fp, step, ev.id, now));
    }
    eventRows.push([
      ev.id,
      tenantId,
      ev.type,
      ev.severity ?? null,
      ev.payload,
      key,
      now,
      fp,
      step?.state ?? null,
      step?.next.startedAt ?? null,
      step?.next.updateCount ?? null,
      ev.traceContext ?? null,
    ]);
    let n = 0;
    let silenced = 0;
    let silencedRecurring = 0;
    // Parsed at the first endpoint with a filter (or silence) that the event reaches, and only then.
    let subject: FilterSubject | null = null;
    const subjectOf = () => (subject ??= eventSubject(ev, step?.state ?? null));
    for (const ep of endpoints) {
      if (!matchesEventType(ep.types, ev.type) || !passesSeverity(ep.minSeverity, ev.severity ?? null)) continue;
      if (ep.filter !== null && !ep.filter(subjectOf())) continue;
      // Silences and maintenance windows: recorded as suppressed, with the silence that matched.
      const silence = silences.length === 0 ? null : silenceFor(silences, ep.id, subjectOf);
      if (silence !== null) {
        // The alert's sends to this endpoint are held until the silence no longer applies (release-holds.ts).
        if (step !== null) yield run("ingest: alert hold", UPSERT_ALERT_HOLD, [ep.id, fp, tenantId, JSON.stringify(silence.reason)]);
        deliveryRows.push(suppressedRow(tenantId, ev.id, ep.id, ev.type, now, silence.reason));
        suppressedBy.set(silence.id, (suppressedBy.get(silence.id) ?? 0) + 1);
        if (silence.recurring) silencedRecurring++;
        else silenced++;
        n++;
        continue;
      }
      if (step !== null) {
        const last = (yield all("ingest: alert send", SELECT_ALERT_SEND, [ep.id, fp])).rows[0];
        // An end for an alert this endpoint's receiver never got as open (its start was held) is not sent either.
        // (Flap damping holds its own ends, below: each one moves the end of its hold.)
        if (step.state === "end" && last && last.held !== null && last.held !== undefined && (last.last_sent_state ?? "end") === "end" && !flapHeld(last)) {
          const reason = JSON.parse(String(last.held)) as DeliveryReason;
          deliveryRows.push(suppressedRow(tenantId, ev.id, ep.id, ev.type, now, reason));
          if (reason.code === "silenced") {
            if (reason.silenceId !== undefined) suppressedBy.set(reason.silenceId, (suppressedBy.get(reason.silenceId) ?? 0) + 1);
            silenced++;
          }
          n++;
          continue;
        }
        if (!shouldSend(lifecycleOf(ep), step, last ? Number(last.last_sent_at) : null, now)) continue;
        const flap = yield* flapSteps(ep, tenantId, fp!, step, last, ev.severity ?? null, now, onsets);
        if (flap.reason !== null) {
          deliveryRows.push(suppressedRow(tenantId, ev.id, ep.id, ev.type, now, flap.reason));
          n++;
          continue;
        }
        yield run("ingest: alert send upsert", UPSERT_ALERT_SEND, [ep.id, fp, tenantId, now, step.state, ...flap.memory]);
      }
      // Last of the controls: inside an open digest window the delivery joins the window's digest.
      if (ep.digest !== null && (yield* foldIntoDigest(digests, ep, ep.digest, ev, now))) {
        n++;
        continue;
      }
      // A batching endpoint's delivery waits up to maxWaitMs for others to join its batch.
      if (ep.batchMaxEvents !== null) batching.add(ep);
      deliveryRows.push(pendingRow(tenantId, ev.id, ep.id, ev.type, now, ep.batchMaxEvents === null ? now : now + ep.batchWaitMs));
      n++;
    }
    // A notice about a failing endpoint reaches its fallback once: through fan-out to either of
    // them (the endpoint's delivery goes to the fallback while it fails), or else by this copy.
    const copy = ev.fallbackCopy;
    if (copy && !deliveryRows.some((r) => r[2] === ev.id && (r[3] === copy.primary || r[3] === copy.fallback))) {
      const ep = endpoints.find((e) => e.id === copy.fallback);
      if (ep) {
        if (ep.batchMaxEvents !== null) batching.add(ep);
        deliveryRows.push(pendingRow(tenantId, ev.id, ep.id, ev.type, now, ep.batchMaxEvents === null ? now : now + ep.batchWaitMs));
        n++;
      }
    }
    const r: IngestResult = { id: ev.id, deliveries: n, duplicate: false, ...foldedOf(digests, ev.id) };
    if (silenced + silencedRecurring > 0) r.silenced = { oneOff: silenced, recurring: silencedRecurring };
    if (key !== null) inCall.set(key, r);
    out.push(r);
  }
  if (eventRows.length) yield run("ingest: events", INSERT_EVENTS, [table(eventRows, 12)]);
  if (onsets.length) yield* flapNoticeSteps(tenantId, onsets, now, (t, notices) => ingestSteps(d, t, notices, now, 0));
  yield* flushDigests(digests, now);
  if (deliveryRows.length === 0) return out;
  yield run("ingest: deliveries", INSERT_DELIVERIES, [table(deliveryRows, 9)]);
  for (const [id, count] of suppressedBy) yield run("ingest: silence count", COUNT_SUPPRESSED, [count, id]);
  for (const ep of batching) {
    const max = ep.batchMaxEvents!;
    const waiting = Number(theRow(yield all("ingest: unbatched count", COUNT_UNBATCHED, [ep.id, max * FULL_BATCHES_CHECKED]), "a count").n);
    const full = waiting - (waiting % max);
    if (full > 0) yield run("ingest: full batches due", MARK_FULL_BATCHES_DUE, [now, ep.id, full, now]);
  }
  if (d.notify) yield all("ingest: notify", NOTIFY_DUE, [DUE_CHANNEL]);
  return out;
}

/** The row a statement always returns (an aggregate, or a row this transaction holds). */
function theRow(result: StepResult, what: string): Row {
  const row = result.rows[0];
  if (row === undefined) throw new Error(`ingest: ${what} came back empty`);
  return row;
}
