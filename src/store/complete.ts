import { applyOutcomes, calledEndpoint, collectNotices, exhaustedByDelivery, hasNotices, noticeEvents } from "../core/notices.ts";
import type { DeliveryOutcome } from "../core/types.ts";
import { type Dialect, type Steps, all, run, table } from "./dialect.ts";
import {
  DISABLE_FAILING,
  HEALTH_COLUMNS,
  SELECT_EXHAUSTED,
  UPSERT_HEALTH,
  healthParams,
  rowToEndpointFacts,
  rowToExhausted,
  rowToHealth,
} from "./operations.ts";
import { ingestSteps } from "./ingest.ts";
import { attemptRequestColumns } from "./rows.ts";
import type { Param } from "./sql.ts";
import type { CompleteOptions } from "./store.ts";

// complete(owner, outcomes): the outcomes of one worker's sends, recorded in one transaction on
// either backend (the steps run through store/sqlite/sqlite-steps.ts or store/postgres/pg-steps.ts).
// Fencing: only deliveries still leased to `owner` change, so a worker whose lease expired and
// was re-claimed elsewhere cannot overwrite the newer state.

/**
 * Every outcome's deliveries, fenced by lease owner; returns the ids it changed. Table: (id,
 * status, next_attempt_at, last_status_code, last_error), then now and the owner. SQLite updates
 * row by row, without RETURNING (see EachRow.changedKey): 5 µs a delivery, where one
 * `UPDATE … FROM json_each(?) … RETURNING` took 15 µs a delivery at the ~10 a flush holds.
 */
export const COMPLETE = {
  sqlite: {
    eachRow: `UPDATE deliveries SET status = ?2, attempts = attempts + 1, next_attempt_at = ?3, lease_owner = NULL, lease_until = NULL,
    last_status_code = ?4, last_error = ?5, updated_at = ?6 WHERE id = ?1 AND lease_owner = ?7 AND status = 'delivering'`,
    changedKey: "id",
  },
  pg: `
  WITH o AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[]) AS o(id, status, next_at, code, err))
  UPDATE deliveries d SET status = o.status, attempts = d.attempts + 1, next_attempt_at = o.next_at,
    lease_owner = NULL, lease_until = NULL, last_status_code = o.code, last_error = o.err, updated_at = $6
  FROM o WHERE d.id = o.id AND d.id = ANY($1::text[]) AND d.lease_owner = $7 AND d.status = 'delivering'
  RETURNING d.id`,
};

const ATTEMPT_COLUMNS = `id, delivery_id, tenant_id, endpoint_id, event_id, attempt_no, started_at, duration_ms, status_code,
    error_class, error_message, response_headers, response_body, will_retry, next_attempt_at, batch_id, request, request_body, sent_to_endpoint_id`;

/**
 * One attempt row per outcome kept. SQLite inserts row by row: reading these wide rows (response
 * and request bodies) back out of JSON cost more than a prepared INSERT per row saves.
 */
export const INSERT_ATTEMPTS = {
  sqlite: { eachRow: `INSERT INTO attempts (${ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)` },
  pg: `
  INSERT INTO attempts (${ATTEMPT_COLUMNS})
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::int[], $9::int[],
    $10::text[], $11::text[], $12::text[], $13::text[], $14::int[], $15::bigint[], $16::text[], $17::text[], $18::text[], $19::text[])`,
};

/** The endpoints of the outcomes, as operational events describe them. */
export const ENDPOINT_FACTS = {
  // CROSS JOIN fixes the loop order (SQLite's planner otherwise scans a small endpoints table).
  sqlite: "SELECT e.id, e.tenant_id, e.name, e.url, e.fallback_endpoint_id FROM json_each(?) j CROSS JOIN endpoints e ON e.id = j.value",
  pg: "SELECT id, tenant_id, name, url, fallback_endpoint_id FROM endpoints WHERE id = ANY($1::text[])",
};

/** A 410 Gone disables its endpoint; returns the endpoints this completion disabled. */
export const DISABLE_GONE = {
  sqlite: `UPDATE endpoints SET enabled = 0, disabled_reason = 'gone', version = version + 1, updated_at = ?
  WHERE id IN (SELECT value FROM json_each(?)) AND enabled = 1 RETURNING id`,
  pg: `UPDATE endpoints SET enabled = 0, disabled_reason = 'gone', version = version + 1, updated_at = $1
  WHERE id = ANY($2::text[]) AND enabled = 1 RETURNING id`,
};

/**
 * The health rows of the outcomes' endpoints. On PostgreSQL they are read locked, in id order, so
 * that concurrent completions on one endpoint apply their outcomes one after the other and cannot
 * deadlock. The lock is on the health row, not the endpoint row that claims lock: a completion
 * neither waits for a claim nor makes claims skip its endpoints.
 */
export const SELECT_HEALTH = {
  sqlite: `SELECT ${HEALTH_COLUMNS} FROM endpoint_health WHERE endpoint_id IN (SELECT value FROM json_each(?))`,
  pg: `SELECT ${HEALTH_COLUMNS} FROM endpoint_health WHERE endpoint_id = ANY($1::text[]) ORDER BY endpoint_id FOR UPDATE`,
};

/**
 * Table (HEALTH_COLUMNS): the health of every endpoint whose outcomes changed it, in one statement
 * on PostgreSQL (its rows are locked and exist by now), a prepared upsert per row on SQLite.
 */
export const WRITE_HEALTH = {
  sqlite: { eachRow: UPSERT_HEALTH },
  pg: `INSERT INTO endpoint_health (${HEALTH_COLUMNS})
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[], $9::text[],
    $10::bigint[], $11::int[], $12::text[], $13::bigint[])
  ON CONFLICT (endpoint_id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures, recent = excluded.recent,
    last_success_at = excluded.last_success_at, last_failure_at = excluded.last_failure_at, last_failure_reason = excluded.last_failure_reason,
    failing_since = excluded.failing_since, circuit = excluded.circuit, circuit_until = excluded.circuit_until, trips = excluded.trips,
    probe_id = excluded.probe_id, updated_at = excluded.updated_at`,
};

/** PostgreSQL, table (endpoint, tenant), now: health rows for endpoints that have none yet, so that they can be locked. */
export const ENSURE_HEALTH = {
  pg: `INSERT INTO endpoint_health (endpoint_id, tenant_id, updated_at)
  SELECT id, t, $3 FROM unnest($1::text[], $2::text[]) AS x(id, t) ORDER BY id
  ON CONFLICT (endpoint_id) DO NOTHING`,
};

export const READ_EXHAUSTED = {
  sqlite: `${SELECT_EXHAUSTED} (SELECT value FROM json_each(?)) ORDER BY id`,
  pg: `${SELECT_EXHAUSTED} (SELECT unnest($1::text[])) ORDER BY id`,
};

const lastError = (o: DeliveryOutcome): string | null => (o.attempt.errorClass === null ? null : `${o.attempt.errorClass}: ${o.attempt.errorMessage ?? ""}`);

function attemptRow(o: DeliveryOutcome): Param[] {
  const a = o.attempt;
  return [
    a.id,
    a.deliveryId,
    a.tenantId,
    a.endpointId,
    a.eventId,
    a.attemptNo,
    a.startedAt,
    a.durationMs,
    a.statusCode,
    a.errorClass,
    a.errorMessage,
    a.responseHeaders === null ? null : JSON.stringify(a.responseHeaders),
    a.responseBody,
    a.willRetry ? 1 : 0,
    a.nextAttemptAt,
    a.batchId,
    ...attemptRequestColumns(a.request),
    a.sentToEndpointId,
  ];
}

/**
 * Records `outcomes` for the deliveries `owner` still holds: delivery state, attempt rows, a 410's
 * endpoint disabled, endpoint health, circuits and auto-disable, and the operational events that
 * follow (decided by core/notices.ts; this only reads their facts and ingests the events).
 */
export function* completeSteps(d: Dialect, owner: string, outcomes: readonly DeliveryOutcome[], now: number, opts: CompleteOptions): Steps<void> {
  if (outcomes.length === 0) return;
  // The planner cannot know how many rows this owner holds and, left to itself, joins the rows to
  // the outcomes with a nested loop that unpacks every outcome again for each row: 512 outcomes
  // took 187 ms on 1M deliveries, against 31 ms as a hash join.
  if (d.planHints) yield run("complete: hash joins", "SET LOCAL enable_nestloop = off", []);
  // A batch's members take the outcome together; its attempt is recorded once.
  const rows = outcomes.flatMap((o) =>
    (o.memberIds ?? [o.deliveryId]).map((id): Param[] => [id, o.status, o.nextAttemptAt, o.attempt.statusCode, lastError(o)]),
  );
  const updated = yield all("complete: deliveries", COMPLETE, [table(rows, 5), now, owner]);
  const held = new Set(updated.rows.map((r) => r.id as string));
  const kept = outcomes.filter((o) => (o.memberIds ?? [o.deliveryId]).some((id) => held.has(id)));
  if (kept.length === 0) return;
  yield run("complete: attempts", INSERT_ATTEMPTS, [table(kept.map(attemptRow), 19)]);

  // The endpoints the attempts went to (a delivery's own, or the fallback it was sent to), whose
  // health they change; notices about exhausted deliveries name the deliveries' own endpoints.
  const epIds = [...new Set(kept.map(calledEndpoint))].sort();
  // A 410 disables its endpoint first: on PostgreSQL every transaction that locks both an endpoint
  // and its health row (a claim taking rate-limit tokens or a circuit probe) takes the endpoint first.
  const goneIds = [...new Set(kept.filter((o) => o.disableEndpoint).map(calledEndpoint))].sort();
  const disabledGone = goneIds.length
    ? new Set((yield all("complete: disable gone", DISABLE_GONE, [now, goneIds])).rows.map((r) => r.id as string))
    : new Set<string>();
  // The first 410 of each endpoint this completion disabled.
  const gone = goneIds.filter((id) => disabledGone.has(id)).map((id) => kept.find((o) => calledEndpoint(o) === id && o.disableEndpoint)!);

  let healthRows = (yield all("complete: health", SELECT_HEALTH, [epIds])).rows;
  if (d.rowLocks && healthRows.length < epIds.length) {
    // An endpoint's first completion: make its row, then lock every row again in order.
    const tenantOf = new Map(kept.map((o) => [calledEndpoint(o), o.attempt.tenantId]));
    yield run("complete: health rows", ENSURE_HEALTH, [
      table(
        epIds.map((id) => [id, tenantOf.get(id)!]),
        2,
      ),
      now,
    ]);
    healthRows = (yield all("complete: health", SELECT_HEALTH, [epIds])).rows;
  }
  const current = new Map(healthRows.map((r) => [r.endpoint_id as string, rowToHealth(r)]));
  const changes = applyOutcomes(current, kept, opts.health);
  if (changes.length)
    yield run("complete: health write", WRITE_HEALTH, [
      table(
        changes.map((c) => healthParams(c.endpointId, c.tenantId, c.after, now)),
        13,
      ),
    ]);
  const disabledFailing = new Set<string>();
  for (const c of changes) {
    if (c.notices.includes("disabled") && (yield run("complete: disable failing", DISABLE_FAILING, [now, c.endpointId])).changes > 0)
      disabledFailing.add(c.endpointId);
  }
  const exhausted = exhaustedByDelivery(kept);
  // Most completions announce nothing: read what notices need only when there are some.
  if (!hasNotices(changes, gone, exhausted)) return;
  const factIds = [...new Set([...epIds, ...kept.map((o) => o.endpointId)])].sort();
  const endpoints = (yield all("complete: endpoints", ENDPOINT_FACTS, [factIds])).rows.map(rowToEndpointFacts);
  const exhaustedRows = exhausted.size ? (yield all("complete: exhausted", READ_EXHAUSTED, [[...exhausted.keys()]])).rows.map(rowToExhausted) : [];
  const notices = collectNotices({ changes, disabledFailing, gone, exhausted, exhaustedRows, endpoints: new Map(endpoints.map((e) => [e.id, e])), now });
  for (const [tenantId, events] of noticeEvents(notices, opts.opsTenant, now)) yield* ingestSteps(d, tenantId, events, now, 0);
}
