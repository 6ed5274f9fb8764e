import { newId } from "../core/ids.ts";
import type { ClaimedDelivery } from "../core/types.ts";
import { type Dialect, type Steps, all, run, table } from "./dialect.ts";
import { type Gate, gateOf } from "./gate.ts";
import { MARK_PROBE, UPSERT_TOKENS } from "./operations.ts";
import { rowToClaimed } from "./rows.ts";
import type { Param, Row } from "./sql.ts";
import type { ClaimOptions } from "./store.ts";
import { tenantRoomOf } from "./tenant-room.ts";

// claimDue(opts): due deliveries leased to one worker, in one transaction on either backend (the
// steps run through store/sqlite/sqlite-steps.ts or store/postgres/pg-steps.ts).
//
// 1. List up to MAX_ENDPOINTS endpoints with pending work that may send (enabled, validated, circuit
//    not cooling down, tenant with room), in random order so that none always comes first. Each
//    list is found by skipping from endpoint to endpoint over the partial index of pending
//    deliveries (a loose index scan): its cost follows the endpoints with pending work, not the
//    deliveries. On PostgreSQL the listed endpoints are locked (SKIP LOCKED: concurrent claimers
//    take others), so each endpoint's in-flight count is read after every earlier claim on it has
//    committed and the per-endpoint cap holds across workers.
// 2. Walk them in chunks: read the chunk's in-flight counts and which have batches due for a
//    retry; each endpoint's room is the least of its gate (concurrency cap, circuit, rate limit),
//    its tenant's room in this process and what is left of the claim's limit.
// 3. Batches due for a retry go whole, with the members fixed when they formed; a batching
//    endpoint forms new batches from its oldest waiting deliveries; other endpoints take their
//    oldest due deliveries, one request each.
// 4. Lease what was taken, then write the rate-limit buckets and the circuit probes.
//
// Every statement reads by index the rows it returns (plus one seek per endpoint), whatever the
// backlog: test/store/query-plans.test.ts and claim-backlog.test.ts hold that.

/** Endpoints one claim looks at, at most. */
export const MAX_ENDPOINTS = 500;
/** Endpoints whose counts one statement reads. */
const CHUNK = 64;

const ENDPOINT_COLUMNS = "e.id, e.tenant_id, e.batch_max_events, e.rate_per_sec, e.rate_burst, h.circuit, h.circuit_until, h.tokens, h.tokens_at";

/**
 * (now, tenants without room): step 1. SQLite lists endpoints with pending work, due or not (its
 * write transaction holds the database; no locks); PostgreSQL endpoints with due work, locked.
 * The limit is written into the text: SQLite runs this statement about 6 times slower with the
 * limit as a bound parameter (50 µs against 8 µs, measured with 12 endpoints).
 */
export const DUE_ENDPOINTS = {
  sqlite: `
  WITH RECURSIVE p(id) AS (
    SELECT (SELECT min(endpoint_id) FROM deliveries WHERE status = 'pending')
    UNION ALL
    SELECT (SELECT min(endpoint_id) FROM deliveries WHERE status = 'pending' AND endpoint_id > p.id) FROM p WHERE p.id IS NOT NULL
  )
  SELECT ${ENDPOINT_COLUMNS}
  FROM p JOIN endpoints e ON e.id = p.id LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  WHERE e.enabled = 1 AND (e.validation_status IS NULL OR e.validation_status IN ('none', 'passed'))
    AND NOT (coalesce(h.circuit, 'closed') = 'open' AND h.circuit_until > ?1)
    AND e.tenant_id NOT IN (SELECT value FROM json_each(?2))
  ORDER BY random() LIMIT ${MAX_ENDPOINTS}`,
  pg: `
  WITH RECURSIVE due(endpoint_id) AS (
    (SELECT endpoint_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY endpoint_id LIMIT 1)
    UNION ALL
    SELECT (SELECT d.endpoint_id FROM deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.endpoint_id > due.endpoint_id
            ORDER BY d.endpoint_id LIMIT 1)
    FROM due WHERE due.endpoint_id IS NOT NULL)
  SELECT ${ENDPOINT_COLUMNS}
  FROM endpoints e JOIN due ON e.id = due.endpoint_id LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  WHERE e.enabled = 1 AND (e.validation_status IS NULL OR e.validation_status IN ('none', 'passed'))
    AND NOT (coalesce(h.circuit, 'closed') = 'open' AND h.circuit_until > $1)
    AND NOT (e.tenant_id = ANY($2::text[]))
  ORDER BY random() LIMIT ${MAX_ENDPOINTS}
  FOR UPDATE OF e SKIP LOCKED`,
};

/**
 * Table (endpoint): requests in flight per endpoint, a batch counting as one. SQLite seeks each
 * endpoint: a GROUP BY over every in-flight row would read the whole index without statistics.
 * Its endpoint_id is NULL when none is in flight (an aggregate without rows), which reads as 0;
 * selecting the parameter instead (`?1 AS endpoint_id`) made the statement twice as slow.
 */
export const INFLIGHT = {
  sqlite: {
    eachRow: "SELECT endpoint_id, count(DISTINCT coalesce(batch_id, id)) AS n FROM deliveries WHERE endpoint_id = ?1 AND status = 'delivering'",
  },
  pg: `SELECT endpoint_id, count(DISTINCT coalesce(batch_id, id))::int AS n FROM deliveries
  WHERE status = 'delivering' AND endpoint_id = ANY($1::text[]) GROUP BY endpoint_id`,
};

/**
 * Table (endpoint), now: the endpoints with a batch due for a retry. SQLite is pinned to the
 * partial index of pending batched deliveries: without statistics it picks deliveries_due and
 * reads the endpoint's whole due backlog to test batch_id, for an endpoint that may not batch.
 */
export const WITH_DUE_BATCHES = {
  sqlite: {
    eachRow: `SELECT endpoint_id FROM deliveries INDEXED BY deliveries_batch_due
  WHERE endpoint_id = ?1 AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= ?2 LIMIT 1`,
  },
  pg: `SELECT DISTINCT endpoint_id FROM deliveries
  WHERE endpoint_id = ANY($1::text[]) AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= $2`,
};

/** (endpoint, now, most): batches due for a retry. */
export const DUE_BATCHES = {
  sqlite: `SELECT DISTINCT batch_id FROM deliveries INDEXED BY deliveries_batch_due
  WHERE endpoint_id = ? AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= ? LIMIT ?`,
  pg: "SELECT DISTINCT batch_id FROM deliveries WHERE endpoint_id = $1 AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= $2 LIMIT $3",
};
export const BATCH_MEMBERS = "SELECT id FROM deliveries WHERE batch_id = ? AND status = 'pending'";

/** (endpoint, most): the pending deliveries of a batching endpoint that no batch holds yet, oldest first. */
export const UNBATCHED = {
  sqlite: `SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND batch_id IS NULL
  ORDER BY next_attempt_at, id LIMIT ?`,
  pg: `SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = $1 AND status = 'pending' AND batch_id IS NULL
  ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE`,
};
export const INSERT_BATCH = "INSERT INTO batches (id, tenant_id, endpoint_id, size, created_at) VALUES (?, ?, ?, ?, ?)";
/** (batch, deliveries). */
export const ASSIGN_BATCH = {
  sqlite: "UPDATE deliveries SET batch_id = ? WHERE id IN (SELECT value FROM json_each(?))",
  pg: "UPDATE deliveries SET batch_id = $1 WHERE id = ANY($2::text[])",
};

const CLAIMED_COLUMNS = `d.id, d.tenant_id, d.event_id, d.endpoint_id, d.attempts, d.pinned_version, d.batch_id,
  ev.type, ev.severity, ev.payload, ev.created_at, ev.fingerprint, ev.state, ev.alert_started_at, ev.update_count, ev.trace_context, e.url, e.version`;

/**
 * PostgreSQL, table (endpoint, room), now, most, owner, lease until: the oldest due deliveries of
 * endpoints that do not batch, up to each one's room, leased and returned with their event and
 * endpoint in one statement.
 */
export const CLAIM_SINGLES = {
  pg: `
  WITH eps AS (SELECT * FROM unnest($1::text[], $2::int[]) AS x(id, room)),
  cand AS (
    SELECT c.id, c.next_attempt_at FROM eps
    CROSS JOIN LATERAL (
      SELECT d.id, d.next_attempt_at FROM deliveries d
      WHERE d.endpoint_id = eps.id AND d.status = 'pending' AND d.next_attempt_at <= $3 AND d.batch_id IS NULL
      ORDER BY d.next_attempt_at
      LIMIT eps.room
      FOR UPDATE OF d SKIP LOCKED) c
    ORDER BY c.next_attempt_at LIMIT $4)
  UPDATE deliveries d SET status = 'delivering', lease_owner = $5, lease_until = $6, updated_at = $3,
    pinned_version = COALESCE(d.pinned_version, e.version)
  FROM cand, events ev, endpoints e
  WHERE d.id = cand.id AND ev.id = d.event_id AND e.id = d.endpoint_id
  RETURNING ${CLAIMED_COLUMNS}`,
};

/** SQLite, (endpoint, room, now): the same choice for one endpoint, without leasing (see LEASE). */
export const PICK_SINGLES = {
  sqlite:
    "SELECT id, endpoint_id FROM deliveries WHERE endpoint_id = ?1 AND status = 'pending' AND next_attempt_at <= ?3 AND batch_id IS NULL ORDER BY next_attempt_at LIMIT ?2",
};

/**
 * (deliveries, owner, lease until, now): leases the rows taken. PostgreSQL returns them with their
 * event and endpoint; SQLite's RETURNING sees only the updated table, so SELECT_CLAIMED reads them.
 */
export const LEASE = {
  sqlite: `UPDATE deliveries SET status = 'delivering', lease_owner = ?2, lease_until = ?3, updated_at = ?4,
    pinned_version = coalesce(pinned_version, (SELECT version FROM endpoints e WHERE e.id = deliveries.endpoint_id))
  WHERE id IN (SELECT value FROM json_each(?1))`,
  pg: `UPDATE deliveries d SET status = 'delivering', lease_owner = $2, lease_until = $3, updated_at = $4,
    pinned_version = COALESCE(d.pinned_version, e.version)
  FROM events ev, endpoints e
  WHERE d.id = ANY($1::text[]) AND d.status = 'pending' AND ev.id = d.event_id AND e.id = d.endpoint_id
  RETURNING ${CLAIMED_COLUMNS}`,
};
/** SQLite, (deliveries): the leased rows with their event and endpoint. */
export const SELECT_CLAIMED = `SELECT ${CLAIMED_COLUMNS}
  FROM deliveries d JOIN events ev ON ev.id = d.event_id JOIN endpoints e ON e.id = d.endpoint_id
  WHERE d.id IN (SELECT value FROM json_each(?))`;

export function* claimSteps(d: Dialect, opts: ClaimOptions): Steps<ClaimedDelivery[]> {
  const { leaseMs, owner, now, endpointConcurrency } = opts;
  const tenants = tenantRoomOf(opts);
  const listed = (yield all("claim: endpoints", DUE_ENDPOINTS, [now, tenants.full])).rows;
  if (listed.length === 0) return [];
  // Deliveries this claim may still take (a batch's members count one each; on PostgreSQL the
  // single deliveries are taken last, up to what the batches left).
  let budget = opts.limit;
  // Rows to lease: batch members, and on SQLite the single deliveries picked.
  const taken: string[] = [];
  // PostgreSQL: (endpoint, room) of the endpoints whose single deliveries CLAIM_SINGLES takes.
  const singles: Param[][] = [];
  // Per endpoint with room: its row, its gate, and the requests taken (a batch, or a delivery
  // sent alone), for the gate's bookkeeping at the end.
  const taking = new Map<string, { ep: Row; gate: Gate; reqs: string[] }>();

  for (let i = 0; i < listed.length && budget > 0; i += CHUNK) {
    const chunk = listed.slice(i, i + CHUNK).filter((e) => tenants.left(e.tenant_id as string) > 0);
    if (chunk.length === 0) continue;
    const ids = table(
      chunk.map((e) => [e.id as string]),
      1,
    );
    const inflight = new Map((yield all("claim: in flight", INFLIGHT, [ids])).rows.map((r) => [r.endpoint_id as string, Number(r.n)]));
    const withBatches = new Set((yield all("claim: endpoints with due batches", WITH_DUE_BATCHES, [ids, now])).rows.map((r) => r.endpoint_id as string));
    for (const ep of chunk) {
      if (budget <= 0) break;
      const epId = ep.id as string;
      const tenantId = ep.tenant_id as string;
      const gate = gateOf(ep, inflight.get(epId) ?? 0, endpointConcurrency, now);
      let room = Math.min(gate.room, tenants.left(tenantId));
      if (room <= 0) continue;
      const reqs: string[] = [];
      taking.set(epId, { ep, gate, reqs });
      if (withBatches.has(epId)) {
        for (const b of (yield all("claim: due batches", DUE_BATCHES, [epId, now, room])).rows) {
          const memberIds = (yield all("claim: batch members", BATCH_MEMBERS, [b.batch_id as string])).rows.map((r) => r.id as string);
          taken.push(...memberIds);
          reqs.push(b.batch_id as string);
          budget -= memberIds.length;
          room--;
        }
      }
      if (ep.batch_max_events !== null) {
        const maxEvents = Number(ep.batch_max_events);
        for (; room > 0 && budget > 0; room--) {
          // Oldest first: a batching endpoint's deliveries wait until created + maxWaitMs, and
          // ingest makes the oldest due at once when enough wait to fill batches.
          const open = (yield all("claim: unbatched", UNBATCHED, [epId, maxEvents])).rows;
          const oldest = open[0];
          if (oldest === undefined || (open.length < maxEvents && Number(oldest.next_attempt_at) > now)) break;
          const batchId = newId("bat", now);
          const openIds = open.map((r) => r.id as string);
          yield run("claim: batch insert", INSERT_BATCH, [batchId, tenantId, epId, openIds.length, now]);
          yield run("claim: batch assignment", ASSIGN_BATCH, [batchId, openIds]);
          taken.push(...openIds);
          reqs.push(batchId);
          budget -= openIds.length;
        }
      } else if (d.returningFromJoins) {
        // Taken by one statement at the end; the room is handed out now, so that a tenant's rooms
        // add up to at most its own room (the statement's limit bounds the claim as a whole).
        room = Math.min(room, budget);
        if (room > 0) {
          singles.push([epId, room]);
          tenants.take(tenantId, room);
        }
      } else {
        room = Math.min(room, budget);
        for (const r of room > 0 ? (yield all("claim: pick deliveries", PICK_SINGLES, [epId, room, now])).rows : []) {
          taken.push(r.id as string);
          reqs.push(r.id as string);
          budget--;
        }
      }
      // Batches, and SQLite's single deliveries (PostgreSQL's were counted when handed out).
      tenants.take(tenantId, reqs.length);
    }
  }

  let rows: Row[] = [];
  if (taken.length) {
    const leased = yield all("claim: lease", LEASE, [taken, owner, now + leaseMs, now]);
    rows = d.returningFromJoins ? leased.rows : (yield all("claim: claimed rows", SELECT_CLAIMED, [taken])).rows;
  }
  if (singles.length && budget > 0) {
    const claimed = (yield all("claim: deliveries", CLAIM_SINGLES, [table(singles, 2), now, budget, owner, now + leaseMs])).rows;
    for (const r of claimed) taking.get(r.endpoint_id as string)!.reqs.push(r.id as string);
    rows = rows.concat(claimed);
  }
  // Rate-limit buckets and circuit probes (on PostgreSQL under the endpoint locks this claim holds).
  for (const { ep, gate, reqs } of taking.values()) {
    const firstReq = reqs[0];
    if (firstReq === undefined) continue;
    if (gate.tokens !== null)
      yield run("claim: rate-limit bucket", UPSERT_TOKENS, [ep.id as string, ep.tenant_id as string, gate.tokens - reqs.length, now, now]);
    if (gate.probe) yield run("claim: circuit probe", MARK_PROBE, [firstReq, now, ep.id as string]);
  }
  return rows.map(rowToClaimed);
}
